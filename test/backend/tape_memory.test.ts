import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';

before(async () => {
  await selectBackend('tensorflow');
});

/**
 * patches/@tensorflow+tfjs-core+4.22.0.patch (applied by set-up): the
 * backward pass frees each node's output gradient and saved tensors once the
 * node is done, instead of holding every gradient and activation to the end.
 * Without it the training peak was ~4.5 GB on bench:train's seed shape.
 */
test('the backward pass frees spent gradients and saved activations as it goes, and the gradients stay right', () => {
  const n = 40;
  const size = 256 * 1024; // 1 MiB of float32 per tensor
  const x = tf.variable(tf.randomUniform([size], -1, 1, 'float32', 3), true, 'tape-memory/x');
  let bytesAtBottom = 0;
  // Identity forward; its gradient runs last and records what is alive then.
  const probe = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
    save([]);
    return { value: v.clone(), gradFunc: (dy: tf.Tensor) => ((bytesAtBottom = tf.memory().numBytes), dy.clone()) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const baseline = tf.memory().numBytes;
  const { value, grads } = tf.variableGrads(() => {
    let h = probe(x) as tf.Tensor;
    // Each step saves its input and makes a 1 MiB gradient; add(h, h) passes one dy to both inputs.
    for (let i = 0; i < n; i++) h = i % 2 ? h.mul(1.01) : tf.add(h, h).mul(0.5);
    return h.sum() as tf.Scalar;
  }, [x]);
  const ref = Math.pow(1.01, n / 2);
  const g = grads[x.name].dataSync();
  assert.ok(Math.abs(g[0] - ref) < 1e-5 * ref && Math.abs(g[size - 1] - ref) < 1e-5 * ref, `gradient ${g[0]}, expected ${ref}`);
  const liveMiB = (bytesAtBottom - baseline) / 2 ** 20;
  // Held to the end, the chain's saved inputs and gradients would be > 2n MiB here.
  assert.ok(liveMiB < 8, `${liveMiB.toFixed(1)} MiB alive at the last gradient; the tfjs-core patch is not applied (run npm run setup)`);
  tf.dispose([value, ...Object.values(grads), x]);
});
