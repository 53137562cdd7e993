import * as tf from '../backend/tf';
import { Rng } from '../util/rng';

/** A learned Linear(inDim -> outDim) with BERT init (normal 0, 0.02; zero bias), owned by a loss. */
export function projectionHead(prefix: string, inDim: number, outDim: number, seed: number): Map<string, tf.Variable> {
  const rng = new Rng(seed);
  const init = new Float32Array(inDim * outDim);
  for (let i = 0; i < init.length; i += 2) {
    const u = Math.max(rng.next(), 1e-12), v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    init[i] = 0.02 * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < init.length) init[i + 1] = 0.02 * r * Math.sin(2 * Math.PI * v);
  }
  // tf.variable copies its initial value, so the initial tensors are disposed here.
  const w = tf.tensor2d(init, [inDim, outDim]);
  const b = tf.zeros([outDim]);
  const params = new Map<string, tf.Variable>([
    [`${prefix}.weight`, tf.variable(w, true)],
    [`${prefix}.bias`, tf.variable(b, true)],
  ]);
  tf.dispose([w, b]);
  return params;
}

export function project(x: tf.Tensor, params: Map<string, tf.Variable>, prefix: string): tf.Tensor {
  const shape = x.shape;
  const w = params.get(`${prefix}.weight`)! as tf.Tensor2D;
  const flat = x.reshape([-1, shape[shape.length - 1]]) as tf.Tensor2D;
  return tf.fused.matMul({ a: flat, b: w, bias: params.get(`${prefix}.bias`)! }).reshape([...shape.slice(0, -1), w.shape[1]]);
}
