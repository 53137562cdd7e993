import * as tf from './tf';

/**
 * WebGPU binds each AddN input as a storage buffer and guarantees only 8 per
 * shader stage (one is the output); tfjs-backend-webgpu 4.22 does not split
 * larger AddNs, and its pipeline fails validation. Seven inputs per AddN.
 */
export const ADD_N_MAX_INPUTS = 7;

/** tf.addN over any number of same-shape tensors, in AddNs of at most ADD_N_MAX_INPUTS (exactly tf.addN up to that many). */
export function addMany<T extends tf.Tensor>(ts: T[]): T {
  return tf.tidy(() => {
    let level: tf.Tensor[] = ts;
    while (level.length > ADD_N_MAX_INPUTS) {
      const next: tf.Tensor[] = [];
      for (let i = 0; i < level.length; i += ADD_N_MAX_INPUTS) {
        const chunk = level.slice(i, i + ADD_N_MAX_INPUTS);
        next.push(chunk.length === 1 ? chunk[0] : tf.addN(chunk));
      }
      level = next;
    }
    return tf.addN(level) as T;
  });
}
