import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DATA, runPython, tmpDir } from '../helpers/env';
import { cstsDevSentences, stsbDevSentences } from '../helpers/sts_sentences';
import { loadTokenizer } from '../../src/tokenizer/load_tokenizer';
import { SentenceTokenizer, tokenizeBatch } from '../../src/tokenizer/sentence_tokenizer';
import { PrecompiledCharsmap } from '../../src/tokenizer/precompiled_charsmap';
import { DistillError } from '../../src/util/errors';

/**
 * Tokenizers of every family trained on the shipped sentences by Python `tokenizers`
 * and `sentencepiece` (py/train_tokenizers.py), saved as model folders shaped like
 * the real ones, and compared id for id with transformers' AutoTokenizer.
 */
const MODELS = ['roberta', 'xlmr', 'xlmr_spm', 'mpnet', 'distilbert'];
const MAX_LENGTH = 12;
// What STS-B alone does not exercise: the Precompiled (nmt_nfkc) charsmap's compatibility
// forms and grapheme clusters, byte-level BPE on emoji and contractions, odd whitespace and
// control characters, typed special tokens (<mask> strips the space before it).
const EDGE = [
  'Café déjà vu — naïve façade', 'Ünïcödé ΣΊΣΥΦΟΣ', 'mixed 中文 text', 'tab\there\u00a0nbsp\u3000ideo', 'x'.repeat(120),
  '中'.repeat(40), 'a [SEP] b [MASK]', 'a <mask> b <s> c </s> d <pad> e <unk>', 'ctrl\u0007char\ufffd', 'emoji 😀 ok',
  'ｆｕｌｌ　ｗｉｄｔｈ　ＡＢＣ１２３', 'Ｈｅｌｌｏ～ｗｏｒｌｄ ～ tilde', '①②③ Ⅻ ㍿ ﬁne ﬂow ½ x² 10³', 'e\u0301 vs é, n\u0303 and a\u0308\u0304',
  '  leading and trailing  ', 'many     spaces\t\ttabs \r cr', "``quoted'' text", 'zero\u200bwidth\u200djoin\ufeffbom',
  '👨\u200d👩\u200d👧 family 🇫🇷 flag 👍🏽 ok', 'नमस्ते दुनिया', 'مرحبا بالعالم', '한국어 텍스트 ᄒᆞᆫ', 'Ǆ ǅ ǆ Ω K Å ÅΩ',
  "It's don't we'll I'M 123,456.78", '\u0085next\u00adsoft \u0001\u001f\u007f\u0080\u009f', ' ', '',
  '\u2028line\u2029para\u205fmath\u1680ogham', 'ﾊﾝｶｸ ｶﾀｶﾅ ｶﾞ', '\u2581already\u2581meta', '…‥ ‼ ⁇ №',
];

interface Reference {
  pad_id: number;
  type_ids: boolean;
  ids: number[][];
  ids_max: number[][];
  raw_differs: number[];
}

function countMismatches(label: string, sentences: string[], ours: (s: string) => number[], ref: number[][]): { n: number; report: string } {
  assert.equal(ref.length, sentences.length, label);
  let n = 0;
  const examples: string[] = [];
  sentences.forEach((s, i) => {
    const got = ours(s);
    if (JSON.stringify(got) === JSON.stringify(ref[i])) return;
    n++;
    if (examples.length < 4) examples.push(`${JSON.stringify(s)}:\n  ours ${JSON.stringify(got)}\n  ref  ${JSON.stringify(ref[i])}`);
  });
  return { n, report: `${label}: ${n}/${sentences.length} sentences differ${n ? ', e.g.\n' + examples.join('\n') : ''}` };
}

describe('tokenizers trained per family match transformers', () => {
  const sentences = [...stsbDevSentences(), ...cstsDevSentences(), ...EDGE];
  const dir = tmpDir('distill-tok-');
  let refs: Record<string, Reference> = {};
  const folder = (m: string) => path.join(dir, m);

  before(() => {
    runPython('train_tokenizers.py', ['--out', dir, '--english', path.join(DATA, 'en', 'train-sentences.tsv'), '--chinese', path.join(DATA, 'zh', 'csts-dev.txt')]);
    const input = path.join(dir, 'sentences.json');
    const output = path.join(dir, 'ref.json');
    fs.writeFileSync(input, JSON.stringify(sentences));
    runPython('ref_tokenize_models.py', ['--input', input, '--output', output, '--max-length', String(MAX_LENGTH), ...MODELS.map(folder)]);
    const byFolder = JSON.parse(fs.readFileSync(output, 'utf8')) as Record<string, Reference>;
    refs = Object.fromEntries(MODELS.map((m) => [m, byFolder[folder(m)]]));
  });

  for (const m of MODELS) {
    test(`${m}: ids equal transformers' on STS-B dev, Chinese STS-B dev and edge lines, with and without truncation`, () => {
      const ref = refs[m];
      assert.deepEqual(ref.raw_differs, [], `${m}: AutoTokenizer should run tokenizer.json as saved`);
      const tok: SentenceTokenizer = loadTokenizer(folder(m));
      assert.equal(tok.source, 'tokenizer.json');
      const full = countMismatches(m, sentences, (s) => tok.encode(s).ids, ref.ids);
      const cut = countMismatches(`${m} max_length ${MAX_LENGTH}`, sentences, (s) => Array.from(tokenizeBatch(tok, [s], MAX_LENGTH).inputIds), ref.ids_max);
      console.log(`${m}: ${full.n} + ${cut.n} (truncated) mismatches of ${sentences.length}`);
      assert.equal(full.n, 0, full.report);
      assert.equal(cut.n, 0, cut.report);
      assert.ok(ref.ids_max.filter((ids) => ids.length === MAX_LENGTH).length > 1000, 'many sentences should be truncated');
    });
  }

  test("padId is the model's pad token (RoBERTa, XLM-R and MPNet pad with 1), type ids are zeros", () => {
    const expectPad: Record<string, number> = { roberta: 1, xlmr: 1, xlmr_spm: 1, mpnet: 1, distilbert: 0 };
    for (const m of MODELS) {
      const tok = loadTokenizer(folder(m));
      assert.equal(refs[m].pad_id, expectPad[m], `${m}: transformers' pad_token_id`);
      assert.equal(tok.padId, refs[m].pad_id, `${m}: padId`);
      assert.equal(refs[m].type_ids, false, `${m} has no token type ids in transformers`);
      const b = tokenizeBatch(tok, ['a short one', 'a somewhat longer sentence to pad the other'], 64);
      assert.ok(b.tokenTypeIds.every((t) => t === 0), m);
      assert.equal(b.inputIds[b.seqLen - 1], tok.padId, `${m}: padding uses padId`);
    }
  });

  test("Precompiled charsmap normalises like Rust tokenizers on every BMP code point, alone, accented and inside a word", () => {
    const json = JSON.parse(fs.readFileSync(path.join(folder('xlmr'), 'tokenizer.json'), 'utf8'));
    const charsmap = PrecompiledCharsmap.fromBase64(json.normalizer.precompiled_charsmap, 'xlmr');
    const texts: string[] = [...EDGE];
    const add = (lo: number, hi: number) => {
      for (let cp = lo; cp <= hi; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const c = String.fromCodePoint(cp);
        texts.push(c, c + '\u0301', `a${c}b`);
      }
    };
    // The BMP, mathematical alphanumerics, enclosed alphanumerics, CJK compatibility ideographs.
    add(0, 0xffff);
    add(0x1d400, 0x1d7ff);
    add(0x1f100, 0x1f2ff);
    add(0x2f800, 0x2fa1f);
    const input = path.join(dir, 'normalize-in.json');
    const output = path.join(dir, 'normalize-out.json');
    fs.writeFileSync(input, JSON.stringify(texts));
    runPython('ref_normalize.py', ['--tokenizer', path.join(folder('xlmr'), 'tokenizer.json'), '--input', input, '--output', output]);
    const ref = JSON.parse(fs.readFileSync(output, 'utf8')) as string[];
    const codes = (s: string) => Array.from(s, (c) => c.codePointAt(0)!.toString(16)).join(' ');
    const bad = texts.map((t, i) => [t, charsmap.normalize(t), ref[i]]).filter(([, ours, theirs]) => ours !== theirs);
    assert.equal(bad.length, 0, `${bad.length}/${texts.length} differ, e.g. ${bad.slice(0, 4).map((b) => b.map(codes).join(' | ')).join('; ')}`);
  });

  test('a tokenizer.json with an unsupported component names the file and the component type', () => {
    const src = JSON.parse(fs.readFileSync(path.join(folder('xlmr'), 'tokenizer.json'), 'utf8'));
    const cases: Array<[string, (j: Record<string, any>) => void]> = [
      ['NormalizerFromTheFuture', (j) => (j.normalizer = { type: 'NormalizerFromTheFuture' })],
      ['SplitterFromTheFuture', (j) => (j.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'SplitterFromTheFuture' }] })],
      ['ModelFromTheFuture', (j) => (j.model = { ...j.model, type: 'ModelFromTheFuture' })],
      ['ProcessorFromTheFuture', (j) => (j.post_processor = { type: 'ProcessorFromTheFuture' })],
      // A charsmap whose header promises a 16-byte trie it does not hold.
      ['Precompiled', (j) => (j.normalizer = { type: 'Precompiled', precompiled_charsmap: Buffer.from([16, 0, 0, 0]).toString('base64') })],
    ];
    for (const [type, edit] of cases) {
      const d = tmpDir('distill-badtok-');
      const j = structuredClone(src);
      edit(j);
      const file = path.join(d, 'tokenizer.json');
      fs.writeFileSync(file, JSON.stringify(j));
      assert.throws(() => loadTokenizer(d), (e: unknown) => e instanceof DistillError && e.message.includes(file) && e.message.includes(type), type);
    }
  });
});
