import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { linear } from '../../src/model/linear';
import { assertClose } from '../helpers/compare';

before(async () => {
  await selectBackend('tensorflow');
});

test('linear with its hand-written gradient equals autodiff through matMul + add (x, W, b)', () => {
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
  const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
  const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
  const up = tf.randomNormal([7, 3], 0, 1, 'float32', 4);
  // A non-trivial upstream gradient so dy is not all ones.
  const run = () => tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => linear(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D).mul(up).sum())([x, w, b]);
  // The first call also creates tensors tfjs caches for good; count from the second.
  tf.dispose(run());
  const before = tf.memory().numTensors;
  const ours = run();
  const ref = tf.grads((a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) => tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D).add(d).mul(up).sum())([x, w, b]);
  ['x', 'W', 'b'].forEach((name, i) => assertClose(ours[i].dataSync(), ref[i].dataSync(), 1e-5, `gradient of ${name}`));
  const value = linear(x, w, b);
  const refValue = tf.tidy(() => tf.matMul(x, w).add(b));
  assertClose(value.dataSync(), refValue.dataSync(), 1e-6, 'value');
  tf.dispose([...ours, ...ref, value, refValue]);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak from the custom gradient');
  tf.dispose([x, w, b, up]);
});
