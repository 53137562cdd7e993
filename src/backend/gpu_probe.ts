import { spawnSync } from 'child_process';
import { GpuPackage } from './gpu_devices';

/** A GPU TensorFlow created a device for. */
export interface TfGpuDevice {
  /** e.g. /job:localhost/replica:0/task:0/device:GPU:0 */
  name: string;
  memoryMb: number;
  /** TensorFlow's short description: device index, model name, PCI bus id, compute capability. */
  description: string;
}

/** What TensorFlow itself said about GPUs while tfjs-node-gpu loaded in a child process. */
export interface TfGpuProbe {
  /** The package entry the child loaded (proves it was tfjs-node-gpu, not tfjs-node). */
  packageMain: string | null;
  tensorflowVersion: string | null;
  /** tfjs-node-gpu's binding: isUsingGpuDevice(), true when it runs ops on a GPU. */
  usingGpu: boolean;
  devices: TfGpuDevice[];
  /** TensorFlow's own lines about CUDA (library loads, cuInit, device creation), prefix stripped. */
  cudaLines: string[];
  /** Set when the child could not load the package at all. */
  error: string | null;
}

const CREATED = /Created device (\S*device:GPU:\d+) with (\d+) MB memory:\s*->\s*(.+)$/;
const CUDA_SOURCES = /\b(dso_loader|cudart_stub|cuda_platform|cuda_driver|cuda_executor|cuda_diagnostics|gpu_device|gpu_init)\.cc:\d+\]/;

/** TensorFlow log lines (e.g. `I0000 00:00:17.5 2033 gpu_device.cc:2020] Created device ...`) to devices and CUDA messages. */
export function parseTfGpuLog(stderr: string): { devices: TfGpuDevice[]; cudaLines: string[] } {
  const lines = stderr.split('\n').filter((l) => CUDA_SOURCES.test(l));
  const cudaLines = lines.map((l) => l.replace(/^[IWEF]\d{4} [\d:.]+\s+\d+\s+/, '').trim());
  const devices = lines.flatMap((l) => {
    const m = CREATED.exec(l);
    return m ? [{ name: m[1], memoryMb: Number(m[2]), description: m[3].trim() }] : [];
  });
  return { devices, cudaLines };
}

/**
 * Loads tfjs-node-gpu in a child process with TensorFlow's logging fully on
 * and asks the binding whether it uses a GPU. A child, because TensorFlow
 * reports its devices only in log lines written once, as its library loads,
 * and because this process may already hold tfjs-node, which must not share a
 * process with tfjs-node-gpu. TF_CPP_VMODULE=dso_loader=1 makes TensorFlow
 * name every CUDA library it opened or failed to open.
 */
export function probeTensorflowGpus(pkg: GpuPackage, timeoutMs = 180_000): TfGpuProbe {
  const empty: TfGpuProbe = { packageMain: null, tensorflowVersion: null, usingGpu: false, devices: [], cudaLines: [], error: null };
  if (!pkg.dir) return { ...empty, error: '@tensorflow/tfjs-node-gpu is not installed' };
  const code = `const main = require.resolve(${JSON.stringify(pkg.dir)}); const tf = require(main); const b = tf.findBackend('tensorflow');
process.stdout.write(JSON.stringify({ packageMain: main, tensorflowVersion: b.binding.TF_Version, usingGpu: !!b.isUsingGpuDevice }));`;
  const r = spawnSync(process.execPath, ['-e', code], {
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0', TF_CPP_VMODULE: 'dso_loader=1' },
    maxBuffer: 1 << 26,
  });
  const parsed = parseTfGpuLog(r.stderr ?? '');
  if (r.status !== 0) {
    const last = (r.stderr ?? '').trim().split('\n').filter((l) => /Error|error/.test(l)).pop() ?? `exit ${r.status ?? r.signal}`;
    return { ...empty, ...parsed, error: last.trim() };
  }
  return { ...empty, ...parsed, ...JSON.parse(r.stdout) };
}
