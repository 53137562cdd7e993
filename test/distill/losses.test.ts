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

// Inputs are random; PyTorch (float64, formulas written from losses.md) is the reference.
// Tolerances: 1e-5 relative-ish on O(1) losses, 1e-5 absolute on gradients (float32 here).
const B = 6, L = 5, D = 8, DT = 12;

function randn(rng: Rng, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => {
    const u = Math.max(rng.next(), 1e-12), v = rng.next();
    return scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

function reshape(xs: number[], shape: number[]): unknown {
  if (shape.length === 1) return xs;
  const step = xs.length / shape[0];
  return Array.from({ length: shape[0] }, (_, i) => reshape(xs.slice(i * step, (i + 1) * step), shape.slice(1)));
}

before(async () => {
  await selectBackend(nativeBackendUnderTest());
});

test('mse, cosine and ibkd (median and fixed gamma) match PyTorch in value and gradient', () => {
  const rng = new Rng(5);
  const S = randn(rng, B * DT);
  const T = randn(rng, B * DT);
  const Sd = randn(rng, B * D, 3);
  const H0 = randn(rng, B * L * D, 2);
  const mask = Array.from({ length: B * L }, (_, i) => (i % L < 2 + (Math.floor(i / L) % 3) ? 1 : 0));
  const tau = 0.05, lambda = 0.2, gamma = 0.01;
  const dir = tmpDir();
  // Equal-width losses use S (B x DT); IBKD uses the student width D with a D -> DT head, whose weights we read from our loss.
  const ibkd = buildLosses([{ name: 'ibkd', weight: 1, options: { temperature: tau, lambda } }], { studentDim: D, teacherDim: DT, seed: 3 })[0].loss;
  const ibkdFixed = buildLosses([{ name: 'ibkd', weight: 1, options: { temperature: tau, lambda, gamma } }], { studentDim: D, teacherDim: DT, seed: 3 })[0].loss;
  const W = Array.from(ibkd.params.get('ibkd.head.weight')!.dataSync());
  assert.ok(Math.abs(Math.sqrt(W.reduce((a, x) => a + x * x, 0) / W.length) - 0.02) < 0.005, 'head init std ~0.02');
  fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify({ S: reshape(Sd, [B, D]), T: reshape(T, [B, DT]), H0: reshape(H0, [B, L, D]), mask: reshape(mask, [B, L]), W: reshape(W, [D, DT]), b: new Array(DT).fill(0), tau, lambda, gamma }));
  runPython('ref_losses.py', [path.join(dir, 'in.json'), path.join(dir, 'ibkd.json')]);
  const refI = JSON.parse(fs.readFileSync(path.join(dir, 'ibkd.json'), 'utf8'));
  const [mse, cosine] = buildLosses([{ name: 'mse', weight: 1, options: {} }, { name: 'cosine', weight: 1, options: {} }], { studentDim: DT, teacherDim: DT, seed: 0 }).map((l) => l.loss);

  const Tt = tf.tensor2d(T, [B, DT]);
  const maskT = tf.tensor2d(mask, [B, L], 'int32');
  const h0 = tf.tensor3d(H0, [B, L, D]);
  const check = (name: string, loss: typeof mse, Sin: number[], width: number, ref: Record<string, unknown>) => {
    const f = (s: tf.Tensor) => loss.compute({ embedding: s as tf.Tensor2D, pooled: s as tf.Tensor2D, hiddenStates: [h0], mask: maskT, groupSize: 1 }, { embedding: Tt });
    const x = tf.tensor2d(Sin, [B, width]);
    const v = f(x).dataSync()[0];
    const g = tf.grad(f)(x).dataSync();
    assert.ok(Math.abs(v - (ref[name] as number)) <= 1e-5 * Math.max(1, Math.abs(ref[name] as number)), `${name}: ${v} vs ${ref[name]}`);
    assertClose(g, flatten(ref[`${name}_grad`]), 1e-5, `${name} gradient`);
  };
  check('ibkd_median', ibkd, Sd, D, refI);
  check('ibkd_gamma', ibkdFixed, Sd, D, refI);
  // mse / cosine reference from a second run with S at the teacher width.
  fs.writeFileSync(path.join(dir, 'in3.json'), JSON.stringify({ S: reshape(S, [B, DT]), T: reshape(T, [B, DT]), H0: reshape(randn(rng, B * L * DT), [B, L, DT]), mask: reshape(mask, [B, L]), W: reshape(randn(rng, DT * DT, 0.02), [DT, DT]), b: new Array(DT).fill(0), tau, lambda, gamma }));
  runPython('ref_losses.py', [path.join(dir, 'in3.json'), path.join(dir, 'eq.json')]);
  const refE = JSON.parse(fs.readFileSync(path.join(dir, 'eq.json'), 'utf8'));
  check('mse', mse, S, DT, refE);
  check('cosine', cosine, S, DT, refE);
});

test('loss options are checked when built: unknown option and bad gamma name the loss', () => {
  assert.throws(() => buildLosses([{ name: 'ibkd', weight: 1, options: { temp: 1 } }], { studentDim: 4, teacherDim: 4, seed: 0 }), /key "losses\[0\]\.temp" is not an option of loss "ibkd"; valid: name, weight, temperature, lambda, gamma, hsic_layer/);
  assert.throws(() => buildLosses([{ name: 'ibkd', weight: 1, options: { gamma: 'mean' } }], { studentDim: 4, teacherDim: 4, seed: 0 }), /key "losses\[0\]\.gamma" must be a number or one of median; got "mean"/);
  const proj = buildLosses([{ name: 'mse', weight: 1, options: {} }], { studentDim: 4, teacherDim: 8, seed: 0 })[0].loss;
  assert.deepEqual(proj.params.get('mse.proj.weight')!.shape, [4, 8], 'a learned projection when widths differ');
});
