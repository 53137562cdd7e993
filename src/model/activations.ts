import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';

type Activation = (x: tf.Tensor) => tf.Tensor;

const SQRT1_2 = Math.SQRT1_2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** Exact (erf) GELU: BERT's `gelu`; the tanh form differs by up to ~1e-3. */
const geluErf: Activation = (x) => tf.tidy(() => x.mul(tf.erf(x.mul(SQRT1_2)).add(1)).mul(0.5));
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
