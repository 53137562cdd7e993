import * as tf from '../backend/tf';

/**
 * Scales gradients so their global L2 norm is at most maxNorm, as
 * torch.nn.utils.clip_grad_norm_ (factor maxNorm / (norm + 1e-6), capped at 1).
 * Returns the norm before clipping; the map's tensors are replaced in place.
 */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): number {
  const norm = Math.sqrt(tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).dataSync()[0]));
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
