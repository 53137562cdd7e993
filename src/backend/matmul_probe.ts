import * as tf from './tf';

export interface MatmulProbe {
  size: number;
  forwardGflops: number;
  forwardBackwardGflops: number;
}

/**
 * A short GFLOP/s probe: n x n matmul forward, then forward + both gradients
 * (3 matmuls), timed after a warm-up so one-off kernel set-up is excluded.
 */
export async function probeMatmul(n = 512, repeats = 5): Promise<MatmulProbe> {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const flops = 2 * n * n * n;
  const time = async (f: () => tf.Tensor | tf.Tensor[]) => {
    const warm = tf.tidy(f);
    await Promise.all([warm].flat().map((t) => t.data()));
    tf.dispose(warm);
    const t0 = performance.now();
    for (let i = 0; i < repeats; i++) {
      const r = tf.tidy(f);
      await Promise.all([r].flat().map((t) => t.data()));
      tf.dispose(r);
    }
    return (performance.now() - t0) / 1000 / repeats;
  };
  const fwd = await time(() => tf.matMul(a, b));
  const grad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y).sum());
  const fb = await time(() => grad([a, b]));
  tf.dispose([a, b]);
  return { size: n, forwardGflops: flops / fwd / 1e9, forwardBackwardGflops: (3 * flops) / fb / 1e9 };
}
