import * as tf from '../backend/tf';

/** LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    // Centre once and reuse it for the variance: fewer passes than tf.moments + sub.
    const centred = x.sub(x.mean(-1, true));
    const variance = centred.square().mean(-1, true);
    return centred.mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
  });
}
