import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { DATA, TEACHER_DIR, runPython, tmpDir } from '../helpers/env';
import { stsbDevSentences, cstsDevSentences } from '../helpers/sts_sentences';
import { loadTokenizer } from '../../src/tokenizer/load_tokenizer';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece_tokenizer';
import { SentenceTokenizer, tokenizeBatch } from '../../src/tokenizer/sentence_tokenizer';

function reference(sentences: string[], args: string[]): Array<{ ids: number[]; type_ids: number[] }> {
  const dir = tmpDir();
  const input = path.join(dir, 'in.txt');
  const output = path.join(dir, 'out.jsonl');
  fs.writeFileSync(input, sentences.join('\n') + '\n');
  runPython('ref_tokenize.py', [...args, '--input', input, '--output', output]);
  return fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function assertSameIds(tok: SentenceTokenizer, sentences: string[], ref: Array<{ ids: number[] }>, label: string) {
  assert.equal(ref.length, sentences.length);
  let mismatches = 0;
  const examples: string[] = [];
  sentences.forEach((s, i) => {
    const ours = tok.encode(s).ids;
    if (JSON.stringify(ours) !== JSON.stringify(ref[i].ids)) {
      mismatches++;
      if (examples.length < 3) examples.push(`${JSON.stringify(s)}: ours ${JSON.stringify(ours)} vs ${JSON.stringify(ref[i].ids)}`);
    }
  });
  assert.equal(mismatches, 0, `${label}: ${mismatches}/${sentences.length} sentences differ, e.g.\n${examples.join('\n')}`);
}

const vocabOpts = { lowercase: true, stripAccents: null, handleChineseChars: true, cleanText: true };
// Lines that exercise what STS-B alone does not: accents, CJK inside English, control and odd whitespace, long words, specials.
const EDGE = ['Café déjà vu — naïve façade', 'Ünïcödé ΣΊΣΥΦΟΣ', 'mixed 中文 text', 'tab\there\u00a0nbsp\u3000ideo', 'x'.repeat(120), 'a [SEP] b [MASK]', 'ctrl\u0007char\ufffd', 'emoji 😀 ok'];

test('vocab.txt tokenizer (bert-base-uncased) matches transformers on every STS-B dev sentence', () => {
  const sentences = [...stsbDevSentences(), ...EDGE];
  const tok = WordPieceTokenizer.fromFile(path.join(DATA, 'vocab', 'bert-base-uncased-vocab.txt'), vocabOpts);
  const ref = reference(sentences, ['--vocab', path.join(DATA, 'vocab', 'bert-base-uncased-vocab.txt')]);
  assert.ok(sentences.length > 2900);
  assertSameIds(tok, sentences, ref, 'bert-base-uncased');
});

test('vocab.txt tokenizer (bert-base-chinese) matches transformers on every Chinese STS-B dev sentence', () => {
  const sentences = [...cstsDevSentences(), ...EDGE];
  const tok = WordPieceTokenizer.fromFile(path.join(DATA, 'vocab', 'bert-base-chinese-vocab.txt'), vocabOpts);
  const ref = reference(sentences, ['--vocab', path.join(DATA, 'vocab', 'bert-base-chinese-vocab.txt')]);
  assert.ok(sentences.length > 2500);
  assertSameIds(tok, sentences, ref, 'bert-base-chinese');
});

test("teacher's tokenizer.json matches transformers on every STS-B dev sentence, with truncation", () => {
  const sentences = [...stsbDevSentences(), ...EDGE];
  const tok = loadTokenizer(TEACHER_DIR);
  assert.equal(tok.source, 'tokenizer.json');
  assertSameIds(tok, sentences, reference(sentences, ['--model', TEACHER_DIR]), 'all-MiniLM-L6-v2');
  // Truncation: cut to 12 tokens, keeping [SEP], as transformers does.
  const ref12 = reference(sentences, ['--model', TEACHER_DIR, '--max-length', '12']);
  let truncated = 0;
  sentences.forEach((s, i) => {
    const b = tokenizeBatch(tok, [s], 12);
    truncated += b.truncated;
    assert.deepEqual(Array.from(b.inputIds), ref12[i].ids, s);
  });
  assert.ok(truncated > 1000, `expected many truncated sentences, got ${truncated}`);
});
