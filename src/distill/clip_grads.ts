import * as tf from '../backend/tf';
import { addMany } from '../backend/add_many';

/**
 * Scales gradients so their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_ (factor maxNorm / (norm + 1e-6), capped at 1).
 * Resolves to the norm before clipping; the map's tensors are replaced in place.
 */
export async function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Promise<number> {
  // Read asynchronously: the webgpu backend has no synchronous read in Node.
  const sumSq = tf.tidy(() => addMany([...grads.values()].map((g) => g.square().sum())));
  const norm = Math.sqrt((await sumSq.data())[0]);
  sumSq.dispose();
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
