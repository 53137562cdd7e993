import * as tf from '../../src/backend/tf';

/**
 * Runs `f` on the native backend and returns how many times each TensorFlow
 * op ran in it, by name, counted where tfjs-node hands ops to TensorFlow (the
 * binding's executeOp), so ops run outside tfjs's kernel registry count too.
 */
export function countNativeOps<T>(f: () => T): { result: T; ops: Map<string, number> } {
  const backend = tf.backend() as unknown as { binding: Record<string, unknown> };
  const binding = backend.binding;
  // The binding's own properties are read-only: count through a copy with executeOp wrapped.
  const shim: Record<string, unknown> = {};
  for (const k of Object.getOwnPropertyNames(binding)) {
    const v = binding[k];
    shim[k] = typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(binding) : v;
  }
  const ops = new Map<string, number>();
  const exec = binding.executeOp as (name: string, ...rest: unknown[]) => unknown;
  shim.executeOp = (name: string, ...rest: unknown[]) => {
    ops.set(name, (ops.get(name) ?? 0) + 1);
    return exec.call(binding, name, ...rest);
  };
  backend.binding = shim;
  try {
    return { result: f(), ops };
  } finally {
    backend.binding = binding;
  }
}
