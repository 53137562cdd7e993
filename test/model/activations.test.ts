import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { getActivation } from '../../src/model/activations';
import { assertClose } from '../helpers/compare';

before(async () => {
  await selectBackend('tensorflow');
});

test('GELU with its hand-written gradient equals autodiff through the composed erf formula', () => {
  const x = tf.randomNormal([64, 50], 0, 3, 'float32', 7);
  const composed = (t: tf.Tensor) => t.mul(tf.erf(t.mul(Math.SQRT1_2)).add(1)).mul(0.5);
  const gelu = getActivation('gelu');
  // A non-trivial upstream gradient (sin x) so dy is not all ones.
  const gOurs = tf.grad((t: tf.Tensor) => gelu(t).mul(tf.sin(t)).sum())(x);
  const gRef = tf.grad((t: tf.Tensor) => composed(t).mul(tf.sin(t)).sum())(x);
  assertClose(gelu(x).dataSync(), composed(x).dataSync(), 0, 'value');
  assertClose(gOurs.dataSync(), gRef.dataSync(), 1e-5, 'gradient');
  const before = tf.memory().numTensors;
  tf.dispose(tf.grad((t: tf.Tensor) => gelu(t).sum())(x));
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the custom gradient');
});

test('LayerNorm with its hand-written gradient equals autodiff through the composed ops (x, gamma, beta)', async () => {
  const { layerNorm, layerNormComposed } = await import('../../src/model/layer_norm');
  const x = tf.randomNormal([3, 7, 16], 1, 2, 'float32', 3);
  const g = tf.randomNormal([16], 1, 0.3, 'float32', 4);
  const b = tf.randomNormal([16], 0, 0.3, 'float32', 5);
  const up = tf.randomNormal([3, 7, 16], 0, 1, 'float32', 6);
  const ours = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNorm(a, c, d, 1e-12).mul(up).sum())([x, g, b]);
  const ref = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => layerNormComposed(a, c, d, 1e-12).mul(up).sum())([x, g, b]);
  assertClose(layerNorm(x, g, b, 1e-12).dataSync(), layerNormComposed(x, g, b, 1e-12).dataSync(), 1e-5, 'value');
  ['x', 'gamma', 'beta'].forEach((n, i) => assertClose(ours[i].dataSync(), ref[i].dataSync(), 2e-5, `gradient w.r.t. ${n}`));
});
