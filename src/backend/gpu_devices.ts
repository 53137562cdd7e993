import * as fs from 'fs';
import * as path from 'path';
import { CUDA_DRIVER_LIBRARY, CUDA_LIBRARIES, findLibraries, loaderSearchDirs, SearchDir } from './cuda_libraries';

export const GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
/** The one command that builds the GPU binding (scripts/setup.sh --gpu); every message that needs it names it. */
export const GPU_BUILD_COMMAND = 'npm run setup -- --gpu';

/** Where tfjs-node-gpu is installed and whether its native binding was built against a TensorFlow library. */
export interface GpuPackage {
  dir: string | null;
  /** lib/napi-v<N>/tfjs_binding.node, or null when not built. */
  binding: string | null;
  /** deps/lib/libtensorflow_framework.so.2: the library that dlopens CUDA, so its RUNPATH decides where CUDA is found. */
  framework: string | null;
}

export function locateGpuPackage(): GpuPackage {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${GPU_PACKAGE}/package.json`));
  } catch {
    return { dir: null, binding: null, framework: null };
  }
  const lib = path.join(dir, 'lib');
  const napi = fs.existsSync(lib) ? fs.readdirSync(lib).filter((d) => /^napi-v\d+$/.test(d)) : [];
  const binding = napi.map((d) => path.join(lib, d, 'tfjs_binding.node')).find((f) => fs.existsSync(f)) ?? null;
  const framework = path.join(dir, 'deps', 'lib', 'libtensorflow_framework.so.2');
  return { dir, binding, framework: fs.existsSync(framework) ? framework : null };
}

/** What is on disk for a GPU, found without loading TensorFlow. */
export interface GpuEnvironment {
  /** Where dlopen finds libcuda.so.1, or null: no NVIDIA driver installed. */
  driverLibrary: string | null;
  /** /dev/nvidia<N> device files: none means no GPU the driver exposes to this machine or container. */
  deviceFiles: string[];
  /** Each CUDA library TensorFlow needs, where the loader finds it (null: missing). */
  libraries: { soname: string; wheel: string; path: string | null; from: SearchDir['from'] | null }[];
  searchDirs: SearchDir[];
}

export function nvidiaDeviceFiles(devDir = '/dev'): string[] {
  return fs.existsSync(devDir) ? fs.readdirSync(devDir).filter((f) => /^nvidia\d+$/.test(f)).sort().map((f) => path.join(devDir, f)) : [];
}

export function inspectGpuEnvironment(pkg: GpuPackage, env: NodeJS.ProcessEnv = process.env): GpuEnvironment {
  const searchDirs = pkg.framework ? loaderSearchDirs(pkg.framework, env) : [];
  const found = findLibraries([CUDA_DRIVER_LIBRARY, ...CUDA_LIBRARIES.map((l) => l.soname)], searchDirs);
  return {
    driverLibrary: found.get(CUDA_DRIVER_LIBRARY)?.path ?? null,
    deviceFiles: nvidiaDeviceFiles(),
    libraries: CUDA_LIBRARIES.map((l) => ({ ...l, path: found.get(l.soname)?.path ?? null, from: found.get(l.soname)?.from ?? null })),
    searchDirs,
  };
}

/** Why TensorFlow has no GPU here, one entry per cause found; empty when nothing on disk explains it. */
export interface NoGpuReason {
  kind: 'not-built' | 'no-driver' | 'no-device' | 'missing-library';
  message: string;
  /** A few words for one-line warnings. */
  short: string;
}

export function noGpuReasons(pkg: GpuPackage, env: GpuEnvironment | null): NoGpuReason[] {
  if (!pkg.binding || !pkg.framework) return [{ kind: 'not-built', message: `${GPU_PACKAGE} is not built; run "${GPU_BUILD_COMMAND}"`, short: `${GPU_PACKAGE} not built` }];
  if (!env) return [];
  const reasons: NoGpuReason[] = [];
  if (!env.driverLibrary) reasons.push({ kind: 'no-driver', message: `no NVIDIA driver: ${CUDA_DRIVER_LIBRARY} is not in the loader's path (LD_LIBRARY_PATH, ${GPU_PACKAGE}'s RUNPATH, ld.so.cache, system directories)`, short: `no NVIDIA driver (${CUDA_DRIVER_LIBRARY} not found)` });
  if (!env.deviceFiles.length) reasons.push({ kind: 'no-device', message: 'no GPU device: no /dev/nvidia<N> device files', short: 'no /dev/nvidia<N> device' });
  const missing = env.libraries.filter((l) => !l.path);
  if (missing.length) {
    const wheels = [...new Set(missing.map((l) => l.wheel))];
    reasons.push({
      kind: 'missing-library',
      message: `missing CUDA libraries: ${missing.map((l) => l.soname).join(', ')} (wheels ${wheels.join(', ')}; "DISTILL_CUDA_LIBS=1 ${GPU_BUILD_COMMAND}" unpacks them next to the binding)`,
      short: `missing ${missing.map((l) => l.soname).join(', ')}`,
    });
  }
  return reasons;
}

/**
 * True when a GPU could be used: the binding is built, the driver and a device
 * are present and every CUDA library resolves. Cheap (no TensorFlow load), so
 * the automatic backend order can ask it before choosing tensorflow-gpu.
 */
export function gpuLikelyUsable(): boolean {
  const pkg = locateGpuPackage();
  return !!pkg.binding && noGpuReasons(pkg, inspectGpuEnvironment(pkg)).length === 0;
}
