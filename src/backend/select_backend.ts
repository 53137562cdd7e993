import * as tf from './tf';
import { DistillError } from '../util/errors';
import { applyTfLogLevel, TfLogLevel } from './tf_log_level';
import { applyTfEnvDefaults, TfEnvSetting } from './tf_env_defaults';
import { GPU_PACKAGE, gpuLikelyUsable } from './gpu_devices';
import { gpuFallbackWarning, loadNativePackage, NativePackage } from './load_native';

export const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** Name the user asks for: tensorflow-gpu (tfjs-node-gpu), tensorflow (tfjs-node), cpu (pure JS). */
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  tensorflowVersion: string | null;
  threads: number | null;
  /** TensorFlow's C++ log level; null on the pure-JS backend, which loads no TensorFlow library. */
  tfLogLevel: TfLogLevel | null;
  /** Allocator and threading settings TensorFlow loaded with; null on the pure-JS backend. */
  tfEnv: TfEnvSetting[] | null;
  /** tensorflow-gpu only: whether TensorFlow placed ops on a GPU (tfjs-node-gpu's isUsingGpuDevice); false means its CPU fallback. */
  usingGpu?: boolean;
  warning?: string;
}

export interface BackendOptions {
  /** Show TensorFlow's own info and warning lines (start-up, CPU features). Default false: errors only, unless TF_CPP_MIN_LOG_LEVEL is set. */
  verbose?: boolean;
}

let selected: BackendInfo | undefined;

function gpuVisible(): boolean {
  return gpuLikelyUsable();
}

/**
 * Picks the compute backend once per process: tfjs-node-gpu when installed and
 * a GPU is visible, else tfjs-node (TensorFlow C library), else the pure-JS
 * `cpu` backend with a loud warning, since it is ~100x slower.
 * `requested` (from --backend or DISTILL_BACKEND) overrides and fails loudly.
 * TensorFlow's C++ logging is set to errors only before its library loads,
 * unless `options.verbose` or the user's own TF_CPP_MIN_LOG_LEVEL says otherwise;
 * later calls cannot change it (TensorFlow reads it once). The allocator and
 * threading settings that measured faster (tf_env_defaults.ts) are set the
 * same way, each unless the user's environment sets it.
 */
export async function selectBackend(requested: string | undefined = process.env.DISTILL_BACKEND, options: BackendOptions = {}): Promise<BackendInfo> {
  if (selected) {
    if (requested && requested !== selected.name) {
      throw new DistillError(`backend already initialised as "${selected.name}"; cannot switch to "${requested}" in the same process`);
    }
    return selected;
  }
  if (requested && !(BACKENDS as readonly string[]).includes(requested)) {
    throw new DistillError(`unknown backend "${requested}"; valid: ${BACKENDS.join(', ')}`, '--backend');
  }
  const want = requested as BackendName | undefined;
  const tfLogLevel = applyTfLogLevel(options.verbose ?? false);
  const tfEnv = want === 'cpu' ? null : applyTfEnvDefaults();
  const attempts: string[] = [];
  const order: BackendName[] = want ? [want] : gpuVisible() ? ['tensorflow-gpu', 'tensorflow', 'cpu'] : ['tensorflow', 'cpu'];
  for (const name of order) {
    if (name === 'cpu') {
      require('@tensorflow/tfjs-backend-cpu');
      await tf.setBackend('cpu');
      const warning = attempts.length
        ? `WARNING: native TensorFlow is unavailable (${attempts.join('; ')}); using the pure-JS cpu backend, ~100x slower. Run "npm run setup" to build tfjs-node.`
        : undefined;
      selected = { name, package: '@tensorflow/tfjs-backend-cpu', tensorflowVersion: null, threads: 1, tfLogLevel: null, tfEnv: null, warning };
      return selected;
    }
    const pkg: NativePackage = name === 'tensorflow-gpu' ? GPU_PACKAGE : '@tensorflow/tfjs-node';
    const r = loadNativePackage(pkg);
    if (r.ok) {
      // Both native packages register themselves as tfjs backend 'tensorflow'.
      await tf.setBackend('tensorflow');
      const threads = Number(process.env.TF_NUM_INTRAOP_THREADS) || require('os').availableParallelism?.() || require('os').cpus().length;
      const gpu = pkg === GPU_PACKAGE ? { usingGpu: r.usingGpu, warning: r.usingGpu ? undefined : gpuFallbackWarning() } : {};
      selected = { name, package: pkg, tensorflowVersion: r.version, threads, tfLogLevel, tfEnv, ...gpu };
      return selected;
    }
    attempts.push(`${pkg}: ${r.error}`);
    if (want) throw new DistillError(`backend "${want}" is not usable: ${r.error}`, '--backend');
  }
  throw new DistillError(`no backend could be initialised: ${attempts.join('; ')}`);
}

export function currentBackend(): BackendInfo | undefined {
  return selected;
}
