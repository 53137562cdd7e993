import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { exportModel } from '../../src/export/export_model';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { DATA, TEACHER_DIR, readF32, runPython, runPythonOnnx, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';
import { maxAbsDiff, rowCosines } from '../helpers/compare';

// sentence-transformers' own ONNX backend (5.x + optimum-onnx, from .venv-onnx) loading our exports:
// it runs only the Transformer through onnxruntime, reads `last_hidden_state`, and applies Pooling,
// Dense and Normalize itself from the module folders, so this checks those folders as much as the graph.
const BERT_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'];
interface Case {
  source: (root: string) => string;
  inputs: string[];
  modules: string[];
  tol: number;
}
const CASES: Record<string, Case> = {
  teacher: { source: () => TEACHER_DIR, inputs: BERT_INPUTS, modules: ['Transformer', 'Pooling', 'Normalize'], tol: 1e-5 },
  // Tiny BERTs saved by the .venv's sentence-transformers 6.2.0 (py/make_st_model.py): Dense then
  // Normalize; mean+cls with prompts and a default prompt; 2.x format with max+mean.
  dense: { source: (r) => path.join(r, 'dense'), inputs: BERT_INPUTS, modules: ['Transformer', 'Pooling', 'Dense', 'Normalize'], tol: 1e-5 },
  v6: { source: (r) => path.join(r, 'v6'), inputs: BERT_INPUTS, modules: ['Transformer', 'Pooling', 'Normalize'], tol: 1e-5 },
  legacy: { source: (r) => path.join(r, 'legacy'), inputs: BERT_INPUTS, modules: ['Transformer', 'Pooling'], tol: 1e-5 },
  // RoBERTa with its own byte-level BPE tokenizer (py/make_cross_family.py): type_vocab_size 1, so no token_type_ids.
  roberta: { source: (r) => path.join(r, 'teacher'), inputs: ['input_ids', 'attention_mask'], modules: ['Transformer', 'Pooling', 'Normalize'], tol: 1e-5 },
};
// Exported with int8 too: RoBERTa (no Dense) for equality with onnxruntime-node, Dense for the card and the drift.
const INT8 = ['roberta', 'dense'];
const SHORT = ['A man is playing a guitar.', 'Hello', 'The quick brown fox jumps over the lazy dog.', 'what is the capital of france?', 'ok'];

interface Loaded {
  output: string;
  rows: number;
  dim: number;
  class: string;
  file: string;
  inputs: string[];
  modules: string[];
}

describe('sentence-transformers ONNX backend (optimum) loads our ONNX exports', () => {
  const root = tmpDir('distill-stonnx-');
  const exported = (name: string) => path.join(root, 'export', name);
  const sentences = [...SHORT, ...stsbDevSentences().slice(0, 43)];
  const loaded = new Map<string, Loaded>();

  before(async () => {
    await selectBackend('tensorflow');
    const specs = [['dense', '--dense 16 --normalize'], ['v6', '--pooling mean,cls --normalize --prompts --default-prompt query'], ['legacy', '--pooling max,mean --legacy']];
    runPython('make_st_model.py', specs.flatMap(([name, args]) => ['--spec', `--out ${path.join(root, name)} ${args}`]));
    runPython('make_cross_family.py', ['--out', root, '--sentences', path.join(DATA, 'en', 'train-sentences.tsv')]);
    for (const [name, c] of Object.entries(CASES)) {
      await exportModel({ model: c.source(root), out: exported(name), format: 'onnx', ...(INT8.includes(name) ? { quantize: 'int8' as const } : {}) });
    }
    const input = path.join(root, 'in.txt');
    fs.writeFileSync(input, sentences.join('\n') + '\n');
    const keys = [...Object.keys(CASES), ...INT8.map((n) => `${n}-int8`)];
    const folders = [...Object.keys(CASES).map(exported), ...INT8.map((n) => `${exported(n)}=onnx/model_quantized.onnx`)];
    const lines = runPythonOnnx('st_onnx_encode.py', ['--input', input, ...folders]).trim().split('\n').filter((l) => l.startsWith('{'));
    assert.equal(lines.length, keys.length, 'one report per folder');
    lines.forEach((l, i) => loaded.set(keys[i], JSON.parse(l)));
  });

  for (const [name, c] of Object.entries(CASES)) {
    test(`${name}: SentenceTransformer(dir, backend="onnx") runs onnx/model.onnx with ${c.inputs.length} inputs and matches tfjs (${c.tol})`, async () => {
      const r = loaded.get(name)!;
      assert.equal(r.class, 'ORTModelForFeatureExtraction');
      assert.equal(r.file, 'onnx/model.onnx');
      assert.deepEqual(r.inputs, c.inputs);
      assert.deepEqual(r.modules, c.modules);
      const m = loadSentenceModel(c.source(root));
      try {
        const ours = await encodeSentences(m, sentences, { batchSize: 16 });
        assert.equal(r.rows * r.dim, ours.embeddings.length, 'rows x width');
        const d = maxAbsDiff(readF32(r.output), ours.embeddings);
        console.log(`# ${name}: ${r.rows} x ${r.dim}, max abs diff ${d.toExponential(3)}`);
        assert.ok(d <= c.tol, `${name}: max abs difference ${d.toExponential(3)} > ${c.tol}`);
      } finally {
        disposeSentenceModel(m);
      }
    });
  }

  test('model_kwargs file_name picks onnx/model_quantized.onnx, which gives what onnxruntime-node gives for it (1e-5)', async () => {
    const r = loaded.get('roberta-int8')!;
    assert.equal(r.file, 'onnx/model_quantized.onnx');
    const fp32 = readF32(loaded.get('roberta')!.output);
    const m = loadSentenceModel(CASES.roberta.source(root));
    try {
      const enc = await OnnxEncoder.open(path.join(exported('roberta'), 'onnx', 'model_quantized.onnx'));
      const node = await enc.encode(m.tokenizer, sentences, m.maxSeqLength, 16);
      await enc.release();
      const py = readF32(r.output);
      const d = maxAbsDiff(py, node);
      console.log(`# roberta int8: max abs diff ${d.toExponential(3)}; vs fp32 ${maxAbsDiff(py, fp32).toExponential(3)}`);
      assert.ok(d <= 1e-5, `int8: max abs difference ${d.toExponential(3)}`);
      assert.ok(maxAbsDiff(py, fp32) > 1e-6, 'the int8 file, not the fp32 one, was loaded');
    } finally {
      disposeSentenceModel(m);
    }
  });

  test('int8 with a Dense module: sentence-transformers runs Dense itself in fp32, within 0.99 cosine of fp32; the card shows the file_name call', () => {
    // Our graph's sentence_embedding has int8 Dense weights; sentence-transformers reads only
    // last_hidden_state and applies 2_Dense from its safetensors, so the two int8 results differ slightly.
    const r = loaded.get('dense-int8')!;
    assert.equal(r.file, 'onnx/model_quantized.onnx');
    const cos = rowCosines(readF32(r.output), readF32(loaded.get('dense')!.output), r.dim);
    console.log(`# dense int8 vs fp32: min cosine ${Math.min(...cos).toFixed(5)}`);
    assert.ok(Math.min(...cos) >= 0.99 && Math.min(...cos) < 1 - 1e-7, `min cosine ${Math.min(...cos)}`);
    const card = fs.readFileSync(path.join(exported('dense'), 'README.md'), 'utf8');
    assert.ok(card.includes('backend="onnx", model_kwargs={"file_name": "onnx/model_quantized.onnx"})'), 'card names the int8 file the way sentence-transformers loads it');
  });
});
