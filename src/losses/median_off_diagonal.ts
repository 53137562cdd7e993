import * as tf from '../backend/tf';

/**
 * The median IBKD's RBF kernel takes its width from: of the off-diagonal
 * entries of a [B, B] matrix, sorted ascending, the one at index
 * floor(n / 2) (n = B * (B - 1)); 1 when there are none.
 */
export function medianOffDiagonalSync(d2: tf.Tensor2D): number {
  const v = d2.dataSync();
  const off = offDiagonalIndices(d2.shape[0]).map((i) => v[i]);
  off.sort((a, b) => a - b);
  return off.length ? off[Math.floor(off.length / 2)] : 1;
}

/**
 * The same median selected on the device, for backends that cannot read
 * synchronously inside a gradient tape (webgpu in Node). Selection only
 * (gather, topk), so the value is exactly medianOffDiagonalSync's. Its
 * gradient is zero: the kernel width is a constant of the batch, as in the
 * synchronous path, where it is a plain number.
 */
export function medianOffDiagonal(d2: tf.Tensor2D): tf.Scalar {
  const idx = offDiagonalIndices(d2.shape[0]);
  if (!idx.length) return tf.scalar(1);
  const n = idx.length;
  // The (n - floor(n/2))-th largest is the ascending element at floor(n/2).
  const k = n - Math.floor(n / 2);
  const select = tf.customGrad(((x: tf.Tensor) => ({
    value: tf.tidy(() => tf.topk(tf.gather(x.reshape([-1]), tf.tensor1d(idx, 'int32')), k).values.slice([k - 1], [1]).reshape([])),
    gradFunc: (_dy: tf.Tensor) => tf.zerosLike(x),
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Scalar;
  return select(d2);
}

function offDiagonalIndices(B: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < B; i++) for (let j = 0; j < B; j++) if (i !== j) out.push(i * B + j);
  return out;
}
