import * as tf from '../backend/tf';

/** LayerNorm over the last axis with biased variance, as torch.nn.LayerNorm, composed from ops (the reference). */
export function layerNormComposed(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const centred = x.sub(x.mean(-1, true));
    const variance = centred.square().mean(-1, true);
    return centred.mul(tf.rsqrt(variance.add(eps))).mul(gamma).add(beta);
  });
}

const cache = new Map<number, (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>();

/**
 * LayerNorm with a hand-written gradient: the backward keeps only the
 * normalised input and 1/std, instead of every intermediate of the composed
 * ops, and runs fewer element-wise kernels:
 *   dx = rstd * (g*dy - mean(g*dy) - xhat * mean(g*dy * xhat)),  dg = sum(dy*xhat),  db = sum(dy).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  let f = cache.get(eps);
  if (!f) {
    const impl = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
      const [xhat, rstd] = tf.tidy(() => {
        const centred = xi.sub(xi.mean(-1, true));
        const r = tf.rsqrt(centred.square().mean(-1, true).add(eps));
        return [centred.mul(r), r];
      });
      save([xhat, rstd, g]);
      return {
        value: tf.tidy(() => xhat.mul(g).add(b)),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            const [xh, rs, gs] = saved;
            const H = gs.shape[0];
            const dxhat = dy.mul(gs);
            const dx = dxhat.sub(dxhat.mean(-1, true)).sub(xh.mul(dxhat.mul(xh).mean(-1, true))).mul(rs);
            const dy2 = dy.reshape([-1, H]);
            return [dx, dy2.mul(xh.reshape([-1, H])).sum(0), dy2.sum(0)];
          }),
      };
    };
    f = tf.customGrad(impl as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor;
    cache.set(eps, f);
  }
  return f(x, gamma, beta);
}
