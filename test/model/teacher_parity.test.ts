import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { TEACHER_DIR, readF32, runPython, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';
import { maxAbsDiff, rowCosines } from '../helpers/compare';

// The bar: min cosine >= 0.99999 and max abs difference <= 1e-4 against
// sentence-transformers on PyTorch, on every STS-B dev sentence.
const MIN_COS = 0.99999;
const MAX_ABS = 1e-4;

describe('real teacher (all-MiniLM-L6-v2) vs sentence-transformers on PyTorch', () => {
  let model: SentenceModel;
  let sentences: string[];
  let reference: Float32Array;
  before(async () => {
    await selectBackend('tensorflow');
    model = loadSentenceModel(TEACHER_DIR);
    sentences = stsbDevSentences();
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'in.txt'), sentences.join('\n') + '\n');
    runPython('ref_encode.py', ['--model', TEACHER_DIR, '--input', path.join(dir, 'in.txt'), '--output', path.join(dir, 'ref.f32')]);
    reference = readF32(path.join(dir, 'ref.f32'));
  });

  test('tfjs-node matches on all STS-B dev sentences', async () => {
    const r = await encodeSentences(model, sentences, { batchSize: 32 });
    assert.equal(r.dim, 384);
    assert.equal(reference.length, sentences.length * 384);
    const cos = Math.min(...rowCosines(r.embeddings, reference, 384));
    const abs = maxAbsDiff(r.embeddings, reference);
    console.log(`# ${sentences.length} sentences: min cosine ${cos.toFixed(8)}, max abs diff ${abs.toExponential(3)}`);
    assert.ok(cos >= MIN_COS, `min cosine ${cos}`);
    assert.ok(abs <= MAX_ABS, `max abs diff ${abs}`);
  });

  test('pure-JS cpu backend agrees with tfjs-node on a sample', async () => {
    const sample = sentences.slice(0, 24);
    const native = await encodeSentences(model, sample, { batchSize: 8 });
    await tf.setBackend('cpu');
    try {
      const js = await encodeSentences(model, sample, { batchSize: 8 });
      assert.ok(Math.min(...rowCosines(js.embeddings, native.embeddings, 384)) >= MIN_COS);
      assert.ok(maxAbsDiff(js.embeddings, native.embeddings) <= MAX_ABS);
      assert.ok(maxAbsDiff(js.embeddings, reference.subarray(0, sample.length * 384)) <= MAX_ABS);
    } finally {
      await tf.setBackend('tensorflow');
    }
  });

  test('tensor count stays flat across repeated encode calls', async () => {
    const sample = sentences.slice(0, 40);
    await encodeSentences(model, sample, { batchSize: 16 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await encodeSentences(model, sample, { batchSize: 16 });
    assert.equal(tf.memory().numTensors, before);
  });
});
