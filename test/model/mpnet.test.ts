import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, saveSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { bertForward } from '../../src/model/bert_encoder';
import { sentenceHead } from '../../src/model/sentence_head';
import { bucketMatrix, relativeBucket } from '../../src/model/relative_position';
import { readSafetensors } from '../../src/model/safetensors';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { buildStudent } from '../../src/distill/build_student';
import { exportModel } from '../../src/export/export_model';
import { readF32, runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten, maxAbsDiff } from '../helpers/compare';
import { makeTinyModel, TinyReference } from '../helpers/tiny_model';

// A tiny random MPNet built and run by PyTorch transformers (eager attention). Rows of 100, 57
// and 20 tokens put relative distances in every bucket: exact (< 8), log-spaced with the
// float32 boundaries at 16, 32 and 64, and the last bucket (>= 91), on both signs.
const TOL = 2e-5;
const ST_TOL = 1e-5;

const words = (n: number, k: number) => Array.from({ length: n }, (_, i) => `w${6 + ((i * 7 + k * 13) % 94)}`).join(' ');
// Lengths to 70 words: the sentence-transformers comparison crosses the log-spaced buckets too.
const SENTENCES = [words(70, 1), words(3, 2), words(25, 3), words(1, 4), words(40, 5), `${words(10, 6)} unknownword`];

describe('MPNet (relative position bias, positions after padding_idx) vs PyTorch transformers', () => {
  const root = tmpDir('distill-mpnet-');
  const dir = path.join(root, 'tiny-mpnet');
  let model: SentenceModel;
  let ref: TinyReference;
  before(async () => {
    await selectBackend('tensorflow');
    ({ model, ref } = makeTinyModel(dir, ['--arch', 'mpnet', '--seed', '5', '--layers', '4', '--lengths', '100,57,20']));
  });

  test('config.json and tensor names: MPNet keys in and out, canonical names inside', () => {
    assert.equal(model.config.family, 'mpnet');
    assert.equal(model.config.typeVocabSize, 0);
    assert.deepEqual(model.config.relativeAttention, { numBuckets: 32, maxDistance: 128 });
    assert.equal(model.maxSeqLength, 100, 'max_position_embeddings 102 minus padding_idx + 1');
    const json = model.arch.configToJson(model.config);
    assert.deepEqual(json.architectures, ['MPNetModel']);
    assert.equal(json.relative_attention_num_buckets, 32);
    assert.equal(json.type_vocab_size, undefined);
    assert.ok(model.weights.has('encoder.layer.3.attention.self.query.weight'));
    assert.ok(model.weights.has('encoder.relative_attention_bias.weight'));
    for (const name of readSafetensors(path.join(dir, 'model.safetensors')).keys()) {
      assert.equal(model.arch.fromCanonical(model.arch.toCanonical(name)), name.replace(/^mpnet\./, ''), name);
    }
    assert.equal(model.arch.toCanonical('mpnet.encoder.layer.0.attention.attn.o.weight'), 'encoder.layer.0.attention.output.dense.weight');
    assert.equal(model.arch.toCanonical('encoder.layer.0.attention.LayerNorm.bias'), 'encoder.layer.0.attention.output.LayerNorm.bias');
    assert.equal(model.arch.toCanonical('encoder.layer.0.output.LayerNorm.bias'), 'encoder.layer.0.output.LayerNorm.bias');
    // Every bucket is used at L = 100 but 16 (distance 0 counts as non-negative), so the test below compares the whole table.
    const used = [...new Set(bucketMatrix(model.config, 100))].sort((x, y) => x - y);
    assert.deepEqual(used, Array.from({ length: 32 }, (_, i) => i).filter((i) => i !== 16));
  });

  for (const backend of ['tensorflow', 'cpu']) {
    test(`every hidden state, attention map, mean and pooler output match on ${backend} (${TOL})`, async () => {
      await tf.setBackend(backend);
      const pooler = loadSentenceModel(dir, { pooling: 'pooler' });
      try {
        tf.tidy(() => {
          const mask = tf.tensor2d(ref.attention_mask, undefined, 'int32');
          const out = bertForward(model.config, model.weights, { inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'), attentionMask: mask }, { hiddenStates: true, attentions: true });
          assert.equal(out.hiddenStates!.length, 5);
          out.hiddenStates!.forEach((h, l) => assertClose(h.dataSync(), flatten(ref.hidden_states[l]), TOL, `${backend} hidden state ${l}`));
          out.attentions!.forEach((a, l) => assertClose(a.dataSync(), flatten(ref.attentions[l]), TOL, `${backend} attention ${l}`));
          assertClose(sentenceHead(model, out.lastHiddenState, mask).embedding.dataSync(), flatten(ref.mean), TOL, `${backend} mean pooling`);
          assertClose(sentenceHead(pooler, out.lastHiddenState, mask).embedding.dataSync(), flatten(ref.pooler), TOL, `${backend} pooler`);
        });
      } finally {
        disposeSentenceModel(pooler);
        await tf.setBackend('tensorflow');
      }
    });
  }

  test('ONNX export with the relative bias (dynamic length) equals tfjs (1e-4) and PyTorch', async () => {
    const out = path.join(root, 'onnx');
    const report = await exportModel({ model: dir, out, format: 'onnx', verify: true, tolerance: 1e-4, verifySentences: SENTENCES });
    assert.ok(report.verify!.maxAbsDiff <= 1e-4, `onnxruntime vs tfjs ${report.verify!.maxAbsDiff}`);
    const s = await ort.InferenceSession.create(path.join(out, 'onnx', 'model.onnx'));
    try {
      assert.deepEqual(s.inputNames, ['input_ids', 'attention_mask']);
      // Two lengths through one graph: the bias is built for whatever L the batch has.
      for (const rows of [[0, 1, 2], [2]]) {
        const L = rows.length === 1 ? 20 : 100;
        const t = (x: number[][]) => new ort.Tensor('int64', BigInt64Array.from(rows.flatMap((r) => x[r].slice(0, L)), BigInt), [rows.length, L]);
        const r = await s.run({ input_ids: t(ref.input_ids), attention_mask: t(ref.attention_mask) });
        const last = rows.flatMap((b) => ref.hidden_states[4][b].slice(0, L));
        assertClose(r.token_embeddings.data as Float32Array, flatten(last), 1e-4, `onnx vs PyTorch last hidden state, L=${L}`);
        assertClose(r.sentence_embedding.data as Float32Array, flatten(rows.map((b) => ref.mean[b])), 1e-4, `onnx vs PyTorch mean, L=${L}`);
      }
    } finally {
      await s.release();
    }
  });

  test('a 4 -> 2 layer student saves as MPNet; sentence-transformers 6.2.0 loads teacher and student equal to ours', async () => {
    const student = buildStudent(model, { layers: [0, 3] });
    const sdir = path.join(root, 'student');
    saveSentenceModel(student.model, sdir);
    const names = [...readSafetensors(path.join(sdir, 'model.safetensors')).keys()];
    assert.ok(names.includes('encoder.layer.1.attention.attn.q.weight') && names.includes('encoder.relative_attention_bias.weight'));
    assert.ok(!names.some((n) => n.includes('attention.self') || n.startsWith('encoder.layer.2')), names.join(' '));
    const input = path.join(root, 'in.txt');
    fs.writeFileSync(input, SENTENCES.join('\n') + '\n');
    runPython('st_encode_folders.py', ['--input', input, dir, sdir]);
    const ours = [await encodeSentences(model, SENTENCES, { batchSize: 4 }), await encodeSentences(student.model, SENTENCES, { batchSize: 4 })];
    tf.dispose([...student.variables.values()]);
    [dir, sdir].forEach((d, i) => {
      const diff = maxAbsDiff(ours[i].embeddings, readF32(`${d}.f32`));
      assert.ok(diff <= ST_TOL, `${path.basename(d)}: ours vs sentence-transformers ${diff}`);
    });
    assert.ok(maxAbsDiff(ours[0].embeddings, ours[1].embeddings) > 1e-3, 'the student differs from the teacher');
  });

  test('relativeBucket equals transformers\' relative_position_bucket at every distance to 1100, for many bucket counts and max distances', () => {
    const ref = JSON.parse(runPython('ref_relative_buckets.py', [])) as Record<string, number[]>;
    let checked = 0;
    for (const [key, buckets] of Object.entries(ref)) {
      const [nb, md] = key.split(',').map(Number);
      const wrong = buckets.findIndex((b, i) => relativeBucket(i - 1100, nb, md) !== b);
      assert.equal(wrong, -1, `buckets ${nb}, max distance ${md}: distance ${wrong - 1100} differs`);
      checked += buckets.length;
    }
    assert.ok(checked > 100000);
  });

  test('relative_attention_num_buckets other than 32 is refused by key', () => {
    const bad = path.join(root, 'bad');
    fs.cpSync(dir, bad, { recursive: true });
    const file = path.join(bad, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), relative_attention_num_buckets: 16 }));
    assert.throws(() => loadSentenceModel(bad), (e: unknown) => e instanceof Error && /key "relative_attention_num_buckets" must be 32/.test(e.message) && e.message.includes(file));
  });
});
