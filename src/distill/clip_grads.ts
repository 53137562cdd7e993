import * as tf from '../backend/tf';
import { addMany } from '../backend/add_many';
import { attr, nativeBackend } from '../backend/native_backend';

/**
 * sum(g^2) of every gradient as one scalar. On TensorFlow each term is its
 * L2Loss op (sum(g^2)/2): one pass and no full-size temporary, where
 * square + sum writes a gradient-sized tensor first.
 */
function sumOfSquares(grads: tf.Tensor[]): tf.Scalar {
  const native = nativeBackend();
  return tf.tidy(() => {
    if (!native) return addMany(grads.map((g) => g.square().sum())) as tf.Scalar;
    const halves = grads.map((g) => native.executeSingleOutput('L2Loss', [attr.float32(native)], [g]));
    return addMany(halves).mul(2) as tf.Scalar;
  });
}

/**
 * Scales gradients so their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_ (factor maxNorm / (norm + 1e-6), capped at 1).
 * Resolves to the norm before clipping; the map's tensors are replaced in place.
 */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<number> {
  // Read asynchronously: the webgpu backend has no synchronous read in Node.
  const sq = sumOfSquares([...grads.values()]);
  const norm = Math.sqrt((await sq.data())[0]);
  sq.dispose();
  if (maxNorm > 0 && Number.isFinite(norm)) {
    const scale = Math.min(1, maxNorm / (norm + 1e-6));
    if (scale < 1) {
      for (const [k, g] of grads) {
        grads.set(k, g.mul(scale));
        g.dispose();
      }
    }
  }
  return norm;
}
