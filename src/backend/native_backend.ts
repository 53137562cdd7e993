import * as tf from './tf';

/** The parts of tfjs-node's backend used to run TensorFlow ops tfjs has no kernel for, by name. */
export interface NativeBackend {
  binding: Record<string, number>;
  executeSingleOutput(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor;
  executeMultipleOutputs(name: string, attrs: unknown[], inputs: tf.Tensor[], numOutputs: number): tf.Tensor[];
}

/** The current backend when it runs TensorFlow ops by name (tfjs-node, tfjs-node-gpu); undefined on the JS backends. */
export function nativeBackend(): NativeBackend | undefined {
  const b = tf.backend() as unknown as Partial<NativeBackend>;
  return tf.getBackend() === 'tensorflow' && b.binding && typeof b.executeSingleOutput === 'function' ? (b as NativeBackend) : undefined;
}

/** Op attribute records in the shape the binding reads. */
export const attr = {
  float32: (b: NativeBackend, name = 'T') => ({ name, type: b.binding.TF_ATTR_TYPE, value: b.binding.TF_FLOAT }),
  bool: (b: NativeBackend, name: string, value: boolean) => ({ name, type: b.binding.TF_ATTR_BOOL, value }),
  string: (b: NativeBackend, name: string, value: string) => ({ name, type: b.binding.TF_ATTR_STRING, value }),
  shape: (b: NativeBackend, name: string, value: number[]) => ({ name, type: b.binding.TF_ATTR_SHAPE, value }),
};
