import * as path from 'path';
import * as tf from './tf';
import { GPU_BUILD_COMMAND, GPU_PACKAGE, inspectGpuEnvironment, locateGpuPackage, noGpuReasons } from './gpu_devices';

export const NATIVE_PACKAGES = ['@tensorflow/tfjs-node', GPU_PACKAGE] as const;
export type NativePackage = (typeof NATIVE_PACKAGES)[number];

export type NativeLoad = { ok: true; version: string; usingGpu: boolean } | { ok: false; error: string };

/** The native package whose entry file this process has already required, if any. */
export function loadedNativePackage(): NativePackage | undefined {
  return NATIVE_PACKAGES.find((pkg) => {
    try {
      return require.resolve(pkg) in require.cache;
    } catch {
      return false;
    }
  });
}

/**
 * Requires tfjs-node or tfjs-node-gpu. Never both in one process: each
 * registers tfjs backend 'tensorflow' and loads its own libtensorflow_cc.so.2
 * with the same symbols, so the second would silently run on the first's
 * library (or crash). An unbuilt GPU binding names the command that builds it
 * instead of node-pre-gyp's "Cannot find module .../tfjs_binding.node".
 */
export function loadNativePackage(pkg: NativePackage): NativeLoad {
  const other = loadedNativePackage();
  if (other && other !== pkg) return { ok: false, error: `${other} is already loaded in this process; ${pkg} cannot load beside it (both are TensorFlow backend "tensorflow")` };
  if (pkg === GPU_PACKAGE) {
    const g = locateGpuPackage();
    if (!g.dir) return { ok: false, error: `${GPU_PACKAGE} is not installed; run "${GPU_BUILD_COMMAND}"` };
    if (!g.binding || !g.framework) {
      const what = !g.framework ? path.join(g.dir, 'deps', 'lib', 'libtensorflow_framework.so.2') : path.join(g.dir, 'lib', 'napi-v*', 'tfjs_binding.node');
      return { ok: false, error: `${GPU_PACKAGE} is not built (${what} is missing); build it with "${GPU_BUILD_COMMAND}"` };
    }
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require(pkg);
    const backend = tf.findBackend('tensorflow') as unknown as { binding?: { TF_Version?: string }; isUsingGpuDevice?: boolean } | null;
    return { ok: true, version: backend?.binding?.TF_Version ?? 'unknown', usingGpu: !!backend?.isUsingGpuDevice };
  } catch (e) {
    return { ok: false, error: (e as Error).message.split('\n')[0] };
  }
}

/** For tensorflow-gpu running on TensorFlow's CPU fallback: what on disk explains it, found without TensorFlow. */
export function gpuFallbackWarning(): string {
  const pkg = locateGpuPackage();
  const reasons = noGpuReasons(pkg, inspectGpuEnvironment(pkg)).map((r) => r.short);
  return `WARNING: backend tensorflow-gpu: TensorFlow sees no GPU and runs on the CPU (${reasons.join('; ') || 'driver, device and CUDA libraries are present; TensorFlow rejected the GPU'}); "distill doctor" shows what it found`;
}
