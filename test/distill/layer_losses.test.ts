import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { nativeBackendUnderTest } from '../helpers/native_backend';
import { buildLosses } from '../../src/losses/loss_registry';
import { Rng } from '../../src/util/rng';
import { runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten } from '../helpers/compare';

// Student 2 layers, teacher 4 layers, width 6, 2 heads; PyTorch float64 is the reference.
const B = 3, L = 5, H = 6, NH = 2;

function randn(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => {
    const u = Math.max(rng.next(), 1e-12), v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

before(async () => {
  await selectBackend(nativeBackendUnderTest());
});

test('hidden_mse, attention (kl and mse) and margin_mse match PyTorch in value and gradient', () => {
  const rng = new Rng(21);
  const mask = [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 0, 0, 0]];
  const sh = Array.from({ length: 3 }, () => randn(rng, B * L * H));
  const th = Array.from({ length: 5 }, () => randn(rng, B * L * H));
  const ss = Array.from({ length: 2 }, () => randn(rng, B * NH * L * L));
  const ts = Array.from({ length: 4 }, () => randn(rng, B * NH * L * L));
  const S = randn(rng, 6 * H);
  const T = randn(rng, 6 * H);
  const ctx = { studentDim: H, teacherDim: H, seed: 0, studentLayers: 2, teacherLayers: 4, studentHidden: H, teacherHidden: H, studentHeads: NH, teacherHeads: NH, keptLayers: [1, 3] };
  const [hidden, attnKl, attnMse, margin] = buildLosses([
    { name: 'hidden_mse', weight: 1, options: {} },
    { name: 'attention', weight: 1, options: { mode: 'kl' } },
    { name: 'attention', weight: 1, options: { mode: 'mse' } },
    { name: 'margin_mse', weight: 1, options: {} },
  ], ctx).map((l) => l.loss);
  // Default maps: hidden [[0,0],[1,2],[2,4]]; attention layers [[0,1],[1,3]].
  const nest = (xs: number[], shape: number[]): unknown => shape.length === 1 ? xs : Array.from({ length: shape[0] }, (_, i) => nest(xs.slice(i * xs.length / shape[0], (i + 1) * xs.length / shape[0]), shape.slice(1)));
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify({
    mask, student_hidden: sh.map((x) => nest(x, [B, L, H])), teacher_hidden: th.map((x) => nest(x, [B, L, H])), hidden_map: [[0, 0], [1, 2], [2, 4]],
    student_scores: ss.map((x) => nest(x, [B, NH, L, L])), teacher_scores: ts.map((x) => nest(x, [B, NH, L, L])), attn_map: [[0, 1], [1, 3]],
    S: nest(S, [6, H]), T: nest(T, [6, H]),
  }));
  runPython('ref_layer_losses.py', [path.join(dir, 'in.json'), path.join(dir, 'out.json')]);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
  const maskT = tf.tensor2d(mask, undefined, 'int32');
  const bias = tf.tensor2d(mask).sub(1).mul(1e9).reshape([B, 1, 1, L]);
  const t3 = (x: number[]) => tf.tensor3d(x, [B, L, H]);
  const t4 = (x: number[]) => tf.tensor4d(x, [B, NH, L, L]);
  const probs = (x: tf.Tensor) => tf.softmax(x.add(bias)) as tf.Tensor4D;
  const close = (name: string, v: number, g: Float32Array | number[], i?: number) => {
    assert.ok(Math.abs(v - ref[name]) <= 1e-5 * Math.max(1, Math.abs(ref[name])), `${name}: ${v} vs ${ref[name]}`);
    assertClose(g, flatten(i === undefined ? ref[`${name}_grad`] : ref[`${name}_grad`][i]), 1e-5, `${name} gradient ${i ?? ''}`);
  };
  const teacher = { embedding: tf.tensor2d(T, [6, H]), hiddenStates: th.map(t3), attentionScores: ts.map(t4), attentions: ts.map((x) => probs(t4(x))) };
  const base = { embedding: tf.zeros([6, H]) as tf.Tensor2D, pooled: tf.zeros([6, H]) as tf.Tensor2D, mask: maskT, groupSize: 1 };
  // hidden_mse: gradient w.r.t. each student hidden state.
  const hsT = sh.map(t3);
  const fh = (...x: tf.Tensor[]) => hidden.compute({ ...base, hiddenStates: x as tf.Tensor3D[] }, teacher);
  const gh = tf.grads(fh)(hsT);
  hsT.forEach((_, i) => close('hidden_mse', fh(...hsT).dataSync()[0], gh[i].dataSync() as Float32Array, i));
  // attention: gradient w.r.t. student scores (kl goes through the masked softmax).
  const ssT = ss.map(t4);
  const fk = (...x: tf.Tensor[]) => attnKl.compute({ ...base, attentions: x.map(probs) }, teacher);
  const fm = (...x: tf.Tensor[]) => attnMse.compute({ ...base, attentionScores: x as tf.Tensor4D[] }, teacher);
  const gk = tf.grads(fk)(ssT);
  const gm = tf.grads(fm)(ssT);
  ssT.forEach((_, i) => {
    close('attention_kl', fk(...ssT).dataSync()[0], gk[i].dataSync() as Float32Array, i);
    close('attention_mse', fm(...ssT).dataSync()[0], gm[i].dataSync() as Float32Array, i);
  });
  const fmm = (x: tf.Tensor) => margin.compute({ ...base, embedding: x as tf.Tensor2D, groupSize: 3 }, teacher);
  const x = tf.tensor2d(S, [6, H]);
  close('margin_mse', fmm(x).dataSync()[0], tf.grad(fmm)(x).dataSync() as Float32Array);
});

test('layer maps that do not fit, and head mismatches, are refused when the loss is built', () => {
  const ctx = { studentDim: 6, teacherDim: 6, seed: 0, studentLayers: 2, teacherLayers: 4, studentHidden: 6, teacherHidden: 6, studentHeads: 2, teacherHeads: 2, keptLayers: [1, 3] };
  assert.throws(() => buildLosses([{ name: 'hidden_mse', weight: 1, options: { layer_map: [[1, 9]] } }], ctx), /teacher hidden state 9 does not exist \(0\.\.4; 0 = embeddings\); the map does not fit the teacher/);
  assert.throws(() => buildLosses([{ name: 'hidden_mse', weight: 1, options: { layer_map: [[3, 1]] } }], ctx), /student hidden state 3 does not exist/);
  assert.throws(() => buildLosses([{ name: 'attention', weight: 1, options: { layer_map: [[0, 0]] } }], ctx), /cannot use index 0/);
  assert.throws(() => buildLosses([{ name: 'attention', weight: 1, options: {} }], { ...ctx, teacherHeads: 4 }), /equal head counts: student 2, teacher 4/);
  assert.throws(() => buildLosses([{ name: 'attention', weight: 1, options: { mode: 'l1' } }], ctx), /key "losses\[0\]\.mode" must be one of kl, mse; got "l1"/);
});
