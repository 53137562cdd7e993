import * as tf from './tf';
import { DistillError } from '../util/errors';
import { applyTfLogLevel, TfLogLevel } from './tf_log_level';
import { applyTfEnvDefaults, TfEnvSetting } from './tf_env_defaults';
import { describeAdapter, gpuDeviceNodes, openWebgpuAdapter, parseAdapterMode, WebgpuAdapterInfo } from './webgpu_adapter';
import { startWebgpuBackend } from './webgpu_backend';
import { GPU_PACKAGE, gpuLikelyUsable } from './gpu_devices';
import { gpuFallbackWarning, loadNativePackage, NativePackage } from './load_native';

export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export interface BackendInfo {
  /** Name the user asks for: tensorflow-gpu (tfjs-node-gpu), webgpu (Dawn), tensorflow (tfjs-node), cpu (pure JS). */
  name: BackendName;
  /** Why this backend: asked for, or the automatic order's reason (printed once when chosen). */
  reason: string;
  /** The WebGPU adapter; null on the other backends. */
  webgpuAdapter: WebgpuAdapterInfo | null;
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
  /** Where the one "backend: ..." line goes; default stderr. */
  print?: (line: string) => void;
}

let selected: BackendInfo | undefined;

type Attempt = { ok: true; info: Omit<BackendInfo, 'reason'> } | { ok: false; error: string };

async function tryBackend(name: BackendName, automatic: boolean, tfLogLevel: TfLogLevel): Promise<Attempt> {
  if (name === 'cpu') {
    require('@tensorflow/tfjs-backend-cpu');
    await tf.setBackend('cpu');
    return { ok: true, info: { name, package: '@tensorflow/tfjs-backend-cpu', tensorflowVersion: null, threads: 1, tfLogLevel: null, tfEnv: null, webgpuAdapter: null } };
  }
  if (name === 'webgpu') {
    // Automatically, only a hardware adapter will do (a software one is far
    // slower than tfjs-node); asked for, DISTILL_WEBGPU_ADAPTER decides.
    const mode = automatic ? 'hardware' : parseAdapterMode(process.env.DISTILL_WEBGPU_ADAPTER);
    let opened;
    try {
      opened = await openWebgpuAdapter(mode);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
    await startWebgpuBackend(opened);
    return { ok: true, info: { name, package: '@tensorflow/tfjs-backend-webgpu + webgpu (Dawn)', tensorflowVersion: null, threads: null, tfLogLevel: null, tfEnv: null, webgpuAdapter: opened.info } };
  }
  const pkg: NativePackage = name === 'tensorflow-gpu' ? GPU_PACKAGE : '@tensorflow/tfjs-node';
  const tfEnv = applyTfEnvDefaults(); // before TensorFlow loads: it reads them once
  const r = loadNativePackage(pkg);
  if (!r.ok) return { ok: false, error: `${pkg}: ${r.error}` };
  // Both native packages register themselves as tfjs backend 'tensorflow'.
  await tf.setBackend('tensorflow');
  const threads = Number(process.env.TF_NUM_INTRAOP_THREADS) || require('os').availableParallelism?.() || require('os').cpus().length;
  const gpu = pkg === GPU_PACKAGE ? { usingGpu: r.usingGpu, ...(r.usingGpu ? {} : { warning: gpuFallbackWarning() }) } : {};
  return { ok: true, info: { name, package: pkg, tensorflowVersion: r.version, threads, tfLogLevel, tfEnv, webgpuAdapter: null, ...gpu } };
}

/** The automatic order with why each candidate is (or is not) tried. */
function automaticOrder(): { order: BackendName[]; skipped: string[] } {
  const order: BackendName[] = [];
  const skipped: string[] = [];
  if (gpuLikelyUsable()) order.push('tensorflow-gpu');
  else skipped.push('tensorflow-gpu: no CUDA GPU visible');
  if (gpuDeviceNodes().length) order.push('webgpu');
  else skipped.push('webgpu: no GPU device node (/dev/nvidia*, /dev/dri/renderD*)');
  order.push('tensorflow', 'cpu');
  return { order, skipped };
}

/** One line: name, package, version/threads or adapter, and the reason. */
export function describeBackend(b: BackendInfo): string {
  const detail = b.webgpuAdapter
    ? `adapter ${describeAdapter(b.webgpuAdapter)}`
    : `${b.tensorflowVersion ? 'TensorFlow ' + b.tensorflowVersion + ', ' : ''}${b.threads} thread${b.threads === 1 ? '' : 's'}`;
  return `backend: ${b.name} (${b.package}; ${detail}) - ${b.reason}`;
}

/**
 * Picks the compute backend once per process. Asked for (--backend or
 * DISTILL_BACKEND), that backend or a loud failure. Otherwise the first that
 * works of: tensorflow-gpu (tfjs-node-gpu) when a CUDA GPU is visible; webgpu
 * on a hardware adapter; tensorflow (tfjs-node); the pure-JS `cpu` backend
 * with a loud warning, since it is ~100x slower. The choice and its reason
 * are printed once (stderr unless options.print says otherwise).
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
  const { order, skipped } = want ? { order: [want], skipped: [] } : automaticOrder();
  const failed: string[] = [];
  for (const name of order) {
    const r = await tryBackend(name, !want, tfLogLevel);
    if (!r.ok) {
      if (want) throw new DistillError(`backend "${want}" is not usable: ${r.error}`, '--backend');
      failed.push(`${name}: ${r.error}`);
      continue;
    }
    const passed = [...failed, ...skipped.filter((s) => BACKENDS.indexOf(s.split(':')[0] as BackendName) < BACKENDS.indexOf(name))];
    const reason = want ? 'as asked (--backend / DISTILL_BACKEND)' : passed.length ? `automatic: ${passed.join('; ')}` : 'automatic: first in order';
    const warning = name === 'cpu' && !want
      ? `WARNING: native TensorFlow is unavailable (${failed.join('; ')}); using the pure-JS cpu backend, ~100x slower. Run "npm run setup" to build tfjs-node.`
      : r.info.webgpuAdapter?.software ? `WARNING: webgpu runs on a software adapter (${r.info.webgpuAdapter.device}): correct but slow; figures from it are not GPU figures.` : r.info.warning;
    selected = { ...r.info, reason, ...(warning ? { warning } : {}) };
    (options.print ?? ((l: string) => process.stderr.write(l + '\n')))(describeBackend(selected));
    return selected;
  }
  throw new DistillError(`no backend could be initialised: ${failed.join('; ')}`);
}

export function currentBackend(): BackendInfo | undefined {
  return selected;
}
