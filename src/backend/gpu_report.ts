import { GpuEnvironment, GpuPackage, GPU_PACKAGE, inspectGpuEnvironment, locateGpuPackage, NoGpuReason, noGpuReasons } from './gpu_devices';
import { probeTensorflowGpus, TfGpuProbe } from './gpu_probe';

/** `distill doctor`'s GPU section: the GPUs TensorFlow sees, or every reason found for none. */
export interface GpuReport {
  package: GpuPackage;
  environment: GpuEnvironment | null;
  /** What TensorFlow said, from tfjs-node-gpu loaded in a child process; null when the binding is not built. */
  tensorflow: TfGpuProbe | null;
  /** Empty when TensorFlow created at least one GPU device. */
  reasons: NoGpuReason[];
}

export function gpuReport(): GpuReport {
  const pkg = locateGpuPackage();
  if (!pkg.binding || !pkg.framework) return { package: pkg, environment: null, tensorflow: null, reasons: noGpuReasons(pkg, null) };
  const environment = inspectGpuEnvironment(pkg);
  const tensorflow = probeTensorflowGpus(pkg);
  const reasons = tensorflow.devices.length ? [] : noGpuReasons(pkg, environment);
  return { package: pkg, environment, tensorflow, reasons };
}

/** Lines for the doctor's text output, aligned under a 13-character label column. */
export function describeGpuReport(r: GpuReport): string[] {
  const pad = ' '.repeat(13);
  const tf = r.tensorflow;
  if (!tf) return [`gpu          ${r.reasons.map((x) => x.message).join('; ')}`];
  if (tf.error) return [`gpu          ${GPU_PACKAGE} did not load: ${tf.error}`];
  const head = tf.devices.length
    ? tf.devices.map((d, i) => `${i ? pad : 'gpu          '}${d.name.replace(/^.*device:/, '')} ${d.description} (${d.memoryMb} MB)`)
    : [`gpu          none: TensorFlow ${tf.tensorflowVersion} (${GPU_PACKAGE}) runs on the CPU`];
  const env = r.environment!;
  return [
    ...head,
    ...r.reasons.map((x) => `${pad}why: ${x.message}`),
    `${pad}driver: ${env.driverLibrary ?? 'libcuda.so.1 not found'}; devices: ${env.deviceFiles.join(' ') || 'none in /dev'}`,
    `${pad}cuda libraries: ${env.libraries.map((l) => `${l.soname} ${l.path ? `(${l.from})` : 'MISSING'}`).join(', ')}`,
    ...tf.cudaLines.map((l) => `${pad}tensorflow: ${l}`),
  ];
}
