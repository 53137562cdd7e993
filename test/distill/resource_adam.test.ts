import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { AdamW, noDecayForNormAndBias } from '../../src/distill/adamw';
import { Rng } from '../../src/util/rng';
import { assertClose } from '../helpers/compare';
import { countNativeOps } from '../helpers/native_ops';

before(async () => {
  await selectBackend('tensorflow');
});

const shapes: Record<string, number[]> = { 'encoder.layer.0.output.dense.weight': [5, 3], 'encoder.layer.0.output.dense.bias': [3], 'embeddings.LayerNorm.weight': [3] };

function makeParams(rng: Rng, tag: string): Map<string, tf.Variable> {
  return new Map(Object.entries(shapes).map(([k, s]) => [k, tf.variable(tf.randomUniform(s, -1, 1, 'float32', Math.floor(rng.next() * 1e6)), true, `${tag}/${k}`)]));
}

function gradsFor(step: number): Map<string, tf.Tensor> {
  const rng = new Rng(100 + step);
  return new Map(Object.entries(shapes).map(([k, s]) => [k, tf.randomUniform(s, -2, 2, 'float32', Math.floor(rng.next() * 1e6))]));
}

test('the fused Adam kernel runs on tensorflow and matches the element-wise AdamW, through a slots/load round trip', () => {
  const init = makeParams(new Rng(3), 'init');
  const copy = (tag: string) => new Map([...init].map(([k, v]) => [k, tf.variable(v.clone(), true, `${tag}/${k}`)]));
  const [pf, pe, pr] = [copy('fused'), copy('elementwise'), copy('resumed')];
  const opts = { eps: 1e-6, weightDecay: 0.1, noDecay: noDecayForNormAndBias };
  const fused = new AdamW(pf, opts);
  const ref = new AdamW(pe, { ...opts, fused: false });
  const before = tf.memory().numTensors;
  for (let step = 0; step < 6; step++) {
    const g = gradsFor(step);
    const { ops } = countNativeOps(() => fused.apply(g, 0.01 * (step + 1)));
    // One kernel per parameter does the moments and the step; no element-wise Adam arithmetic.
    assert.equal(ops.get('ResourceApplyAdam'), pf.size, `ResourceApplyAdam per step: ${JSON.stringify([...ops])}`);
    assert.ok(!ops.has('Sqrt') && !ops.has('RealDiv'), `element-wise Adam ops ran: ${JSON.stringify([...ops])}`);
    ref.apply(g, 0.01 * (step + 1));
    tf.dispose([...g.values()]);
  }
  assert.equal(tf.memory().numTensors, before, 'fused steps leak no tensors');
  for (const [k, p] of pf) assertClose(p.dataSync(), pe.get(k)!.dataSync(), 2e-6, k);

  // A resumed optimizer (slots written and loaded, as a checkpoint does) continues the same trajectory.
  const fusedSlots = fused.slots();
  const refSlots = ref.slots();
  for (const [k, t] of fusedSlots) assertClose(t.dataSync(), refSlots.get(k)!.dataSync(), 2e-6, `slot ${k}`);
  const slots = new Map([...fusedSlots].map(([k, t]) => [k, { shape: t.shape, data: Float32Array.from(t.dataSync() as Float32Array) }]));
  tf.dispose([...fusedSlots.values(), ...refSlots.values()]);
  for (const [k, p] of pr) p.assign(pf.get(k)!);
  const resumed = new AdamW(pr, opts);
  resumed.load(fused.step, slots, 'test');
  for (let step = 6; step < 9; step++) {
    const g = gradsFor(step);
    fused.apply(g, 0.01);
    resumed.apply(g, 0.01);
    tf.dispose([...g.values()]);
  }
  for (const [k, p] of pf) assert.deepEqual(Array.from(pr.get(k)!.dataSync()), Array.from(p.dataSync()), `resumed ${k} is bit-identical`);
  for (const o of [fused, ref, resumed]) o.dispose();
  tf.dispose([...init.values(), ...pf.values(), ...pe.values(), ...pr.values()]);
});

test('a weight assigned from outside between steps is the one the fused step updates', () => {
  const p = makeParams(new Rng(5), 'outside');
  const opt = new AdamW(p, { eps: 1e-6, weightDecay: 0, fused: true });
  const name = 'embeddings.LayerNorm.weight';
  const g = new Map([[name, tf.ones([3])]]);
  opt.apply(g, 0.1);
  const outside = tf.tensor1d([10, 20, 30]);
  p.get(name)!.assign(outside);
  outside.dispose();
  opt.apply(g, 0.1);
  // Step 2 with g = 1 throughout: m_hat = v_hat = 1, so the step is lr * 1 / (1 + eps).
  assertClose(p.get(name)!.dataSync(), [9.9, 19.9, 29.9], 1e-5, name);
  opt.dispose();
  tf.dispose([...p.values(), ...g.values()]);
});
