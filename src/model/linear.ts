import * as tf from '../backend/tf';

/**
 * x W + b on [n, in] x [in, out], with a hand-written gradient that keeps
 * only x and W for the backward pass. tfjs's fused matMul also keeps its
 * output (for activations we do not fuse), one more activation-sized tensor
 * per layer alive until the backward pass reaches it.
 *   dx = dy W^T,  dW = x^T dy,  db = sum(dy, 0).
 */
const linearImpl = (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor2D, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as tf.Tensor2D[];
      return [tf.matMul(dy, ws, false, true), tf.matMul(xs, dy, true, false), tf.sum(dy, 0)];
    },
  };
};

export const linear = tf.customGrad(linearImpl as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;
