import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';

type Activation = (x: tf.Tensor) => tf.Tensor;

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/**
 * Exact (erf) GELU, BERT's `gelu`, with a hand-written gradient
 * gelu'(x) = Phi(x) + x phi(x). Autodiff through the composed ops would keep
 * five [tokens, intermediate] tensors alive per layer for the backward pass;
 * this keeps only x, and the backward runs fewer element-wise kernels.
 */
const geluErfImpl = (x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: tf.tidy(() => x.mul(tf.erf(x.mul(SQRT1_2)).add(1)).mul(0.5)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [xs] = saved;
        const cdf = tf.erf(xs.mul(SQRT1_2)).add(1).mul(0.5);
        const pdf = xs.square().mul(-0.5).exp().mul(INV_SQRT_2PI);
        return dy.mul(cdf.add(xs.mul(pdf)));
      }),
  };
};
const geluErf = tf.customGrad(geluErfImpl as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Activation;

const geluTanh: Activation = (x) =>
  tf.tidy(() => x.mul(0.5).mul(tf.tanh(x.add(x.pow(3).mul(0.044715)).mul(SQRT_2_OVER_PI)).add(1)));

/** Hugging Face `hidden_act` names to implementations. */
export const ACTIVATIONS: Record<string, Activation> = {
  gelu: geluErf,
  gelu_python: geluErf,
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  relu: (x) => tf.relu(x),
};

export function getActivation(name: string): Activation {
  const f = ACTIVATIONS[name];
  if (!f) throw new DistillError(`unknown activation "${name}"; valid: ${Object.keys(ACTIVATIONS).join(', ')}`);
  return f;
}
