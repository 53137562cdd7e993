import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, saveSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { bertForward } from '../../src/model/bert_encoder';
import { l2Normalize, pool } from '../../src/model/pooling';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { buildStudent, layerTable } from '../../src/distill/build_student';
import { exportModel } from '../../src/export/export_model';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { readF32, runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten, maxAbsDiff } from '../helpers/compare';
import { makeTinyModel, TinyModel, TinyReference } from '../helpers/tiny_model';

// TinyModel random DistilBERTs built and run by PyTorch transformers (eager attention) are the
// reference for every layer; sentence-transformers and onnxruntime check what we save and export.
const TOL = 2e-5;
const H = 32;
// The tiny vocabulary is [PAD] [UNK] [CLS] [SEP] [MASK] w0..w94: sentences of its words, mixed lengths.
const SENTENCES = ['w1 w2 w3', 'w10', 'w5 w6 w7 w8 w9 w11 w12 w13 w14 w15 w16', 'w40 w41 w90 w3', 'w7 w7', 'w60 w61 w62 w63 w64 w65'];

type Reference = TinyReference;

function makeTiny(root: string, name: string, args: string[]): TinyModel {
  return makeTinyModel(path.join(root, name), ['--arch', 'distilbert', ...args]);
}

/** Asserts every output within TOL and returns the largest difference seen. */
function checkModel(model: SentenceModel, ref: Reference, label: string): number {
  let worst = 0;
  const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
    worst = Math.max(worst, maxAbsDiff(a, b));
    assertClose(a, b, TOL, what);
  };
  tf.tidy(() => {
    const mask = tf.tensor2d(ref.attention_mask, undefined, 'int32');
    // No token type ids: DistilBERT has no table for them.
    const out = bertForward(model.config, model.weights, { inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'), attentionMask: mask }, { hiddenStates: true, attentions: true });
    assert.equal(out.hiddenStates!.length, model.config.numHiddenLayers + 1);
    assert.equal(ref.hidden_states.length, model.config.numHiddenLayers + 1);
    out.hiddenStates!.forEach((h, l) => close(h.dataSync(), flatten(ref.hidden_states[l]), `${label} hidden state ${l}`));
    out.attentions!.forEach((a, l) => close(a.dataSync(), flatten(ref.attentions[l]), `${label} attention ${l}`));
    const h = out.lastHiddenState;
    close(pool({ modes: ['mean'], dimension: H }, h, mask).dataSync(), flatten(ref.mean), `${label} mean pooling`);
    close(pool({ modes: ['cls'], dimension: H }, h, mask).dataSync(), flatten(ref.cls), `${label} cls pooling`);
    close(pool({ modes: ['max'], dimension: H }, h, mask).dataSync(), flatten(ref.max), `${label} max pooling`);
    close(l2Normalize(pool({ modes: ['mean'], dimension: H }, h, mask)).dataSync(), flatten(ref.mean_normalized), `${label} normalize`);
  });
  return worst;
}

describe('DistilBERT as teacher and student vs PyTorch transformers, sentence-transformers and onnxruntime', () => {
  const root = tmpDir('distill-distilbert-');
  let learned: TinyModel;
  let sinusoidal: TinyModel;
  before(async () => {
    await selectBackend('tensorflow');
    learned = makeTiny(root, 'learned', ['--seed', '5', '--layers', '6']);
    sinusoidal = makeTiny(root, 'sinusoidal', ['--seed', '6', '--sinusoidal', '--act', 'relu', '--layers', '3', '--heads', '2']);
  });
  after(() => {
    disposeSentenceModel(learned.model);
    disposeSentenceModel(sinusoidal.model);
  });

  test('config.json keys and tensor names read as DistilBERT: no token types, eps 1e-12', () => {
    const c = learned.model.config;
    assert.equal(c.family, 'distilbert');
    assert.deepEqual([c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.intermediateSize, c.typeVocabSize, c.layerNormEps], [32, 6, 4, 64, 0, 1e-12]);
    assert.equal(sinusoidal.model.config.hiddenAct, 'relu');
    assert.ok(!learned.model.weights.has('embeddings.token_type_embeddings.weight'));
    assert.ok(learned.model.weights.has('encoder.layer.5.attention.self.query.weight'), 'q_lin maps onto the canonical query');
  });

  for (const backend of ['tensorflow', 'cpu']) {
    test(`every hidden state, attention map and pooled output match (learned and sinusoidal positions) on ${backend}`, async () => {
      await tf.setBackend(backend);
      try {
        const dl = checkModel(learned.model, learned.ref, `${backend}/learned`);
        const ds = checkModel(sinusoidal.model, sinusoidal.ref, `${backend}/sinusoidal`);
        console.log(`# ${backend}: max abs diff learned ${dl.toExponential(3)}, sinusoidal ${ds.toExponential(3)}`);
      } finally {
        await tf.setBackend('tensorflow');
      }
    });
  }

  test('a task-head checkpoint (distilbert. prefix, vocab_* heads) loads the same encoder', () => {
    const dir = path.join(root, 'mlm');
    fs.cpSync(learned.dir, dir, { recursive: true });
    const file = path.join(dir, 'model.safetensors');
    const raw = readSafetensors(file);
    const out = new Map([...raw].map(([k, t]) => [`distilbert.${k}`, { shape: t.shape, data: t.data as Float32Array }]));
    out.set('vocab_layer_norm.weight', { shape: [H], data: new Float32Array(H) });
    out.set('vocab_projector.bias', { shape: [100], data: new Float32Array(100) });
    writeSafetensors(file, out);
    const m = loadSentenceModel(dir);
    try {
      for (const [k, t] of learned.model.weights) assert.equal(maxAbsDiff(m.weights.get(k)!.dataSync(), t.dataSync()), 0, k);
    } finally {
      disposeSentenceModel(m);
    }
  });

  test('a missing tensor is named as DistilBERT names it', () => {
    const dir = path.join(root, 'missing');
    fs.cpSync(learned.dir, dir, { recursive: true });
    const file = path.join(dir, 'model.safetensors');
    const raw = readSafetensors(file);
    raw.delete('transformer.layer.2.sa_layer_norm.weight');
    writeSafetensors(file, new Map([...raw].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])));
    assert.throws(() => loadSentenceModel(dir), /missing tensor "transformer\.layer\.2\.sa_layer_norm\.weight"/);
  });

  test("a fresh student of a sinusoidal DistilBERT starts from transformers' create_sinusoidal_embeddings table", () => {
    // The teacher's table was written by transformers from create_sinusoidal_embeddings (make_tiny_bert leaves it alone).
    const want = sinusoidal.model.weights.get('embeddings.position_embeddings.weight')!.dataSync();
    const s = buildStudent(sinusoidal.model, { layers: 2, hidden_size: H, num_attention_heads: 4 }, 7);
    const l = buildStudent(learned.model, { layers: 2, hidden_size: H, num_attention_heads: 4 }, 7);
    try {
      assertClose(s.variables.get('embeddings.position_embeddings.weight')!.dataSync(), want, 1e-7, 'sinusoidal table');
      assert.ok(maxAbsDiff(l.variables.get('embeddings.position_embeddings.weight')!.dataSync(), want) > 0.5, 'learned positions are drawn at random');
      assert.match(layerTable(s), /fresh encoder, 2 layers x 32 wide.*embeddings\.position_embeddings\.weight from the distilbert formula/);
      const json = s.model.arch.configToJson(s.model.config);
      assert.equal(json.sinusoidal_pos_embds, true);
      assert.equal(json.n_layers, 2);
    } finally {
      tf.dispose([...s.variables.values(), ...l.variables.values()]);
    }
  });

  test('a 6 -> 3 layer student prints its table, saves n_layers, and sentence-transformers 6.2.0 encodes it equal (1e-5); ONNX (pooling + normalize) equals tfjs (1e-4)', async () => {
    const student = buildStudent(learned.model, { layers: 3 });
    try {
      const table = layerTable(student);
      console.log(`# ${table.replace(/\n/g, '\n# ')}`);
      assert.match(table, /3 of 6 teacher layers/);
      assert.match(table, /student layer 2 {2}<- {2}teacher layer 5/);
      const model = { ...student.model, normalize: true };
      const out = path.join(root, 'student');
      saveSentenceModel(model, out);
      const cfg = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.deepEqual([cfg.model_type, cfg.architectures, cfg.n_layers, cfg.dim, cfg.n_heads, cfg.hidden_dim], ['distilbert', ['DistilBertModel'], 3, 32, 4, 64]);
      assert.equal(cfg.num_hidden_layers, undefined, 'no BERT layer key for DistilBertConfig to map over n_layers');
      const names = [...readSafetensors(path.join(out, 'model.safetensors')).keys()];
      assert.ok(names.includes('transformer.layer.2.ffn.lin2.weight') && !names.some((n) => n.startsWith('encoder.') || n.startsWith('transformer.layer.3.')), names.join(','));

      const input = path.join(root, 'in.txt');
      fs.writeFileSync(input, SENTENCES.join('\n') + '\n');
      const ours = await encodeSentences(model, SENTENCES, { batchSize: 4 });
      const log = runPython('st_encode_folders.py', ['--input', input, out]);
      assert.match(log, /student 6 32/);
      const dST = maxAbsDiff(readF32(`${out}.f32`), ours.embeddings);
      console.log(`# sentence-transformers vs ours: max abs diff ${dST.toExponential(3)}`);
      assert.ok(dST <= 1e-5, `sentence-transformers vs ours ${dST}`);

      const onnxDir = path.join(root, 'onnx');
      const report = await exportModel({ model: out, out: onnxDir, format: 'onnx', verify: true, verifySentences: SENTENCES });
      assert.ok(report.verify!.maxAbsDiff <= 1e-4);
      const py = path.join(root, 'onnx.f32');
      const checked = JSON.parse(runPython('onnx_check.py', ['--dir', onnxDir, '--input', input, '--output', py]).trim().split('\n').pop()!);
      assert.deepEqual(checked.inputs, ['input_ids', 'attention_mask']);
      const dPy = maxAbsDiff(readF32(py), ours.embeddings);
      const enc = await OnnxEncoder.open(path.join(onnxDir, 'onnx', 'model.onnx'));
      const node = await enc.encode(model.tokenizer, SENTENCES, model.maxSeqLength, 4);
      await enc.release();
      const dNode = maxAbsDiff(node, ours.embeddings);
      console.log(`# onnxruntime (python) vs tfjs ${dPy.toExponential(3)}, onnxruntime-node vs tfjs ${dNode.toExponential(3)}`);
      assert.ok(dPy <= 1e-4 && dNode <= 1e-4, `python ${dPy}, node ${dNode}`);
      // Normalised: every row has unit length.
      for (let r = 0; r < SENTENCES.length; r++) assert.ok(Math.abs(Math.hypot(...node.subarray(r * H, (r + 1) * H)) - 1) < 1e-5);
    } finally {
      tf.dispose([...student.variables.values()]);
    }
  });
});
