import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { probeMatmul } from '../../backend/matmul_probe';
import { describeTfLogLevel } from '../../backend/tf_log_level';
import { describeTfEnv } from '../../backend/tf_env_defaults';
import { describeAdapter } from '../../backend/webgpu_adapter';
import { describeGpuReport, gpuReport } from '../../backend/gpu_report';
import { emit, OutputOptions, runCommand } from '../output';
import { CommonArgs } from '../common_args';

export const doctorCommand: CommandModule<CommonArgs, CommonArgs & OutputOptions> = {
  command: 'doctor',
  describe: 'Report the compute backend, the GPUs TensorFlow sees (or why none), TensorFlow version, log level and allocator/threading settings, threads and a matmul GFLOP/s probe',
  handler: runCommand(async (args) => {
    const backend = await selectBackend(args.backend, { verbose: args.verbose, print: () => undefined }); // its own first line says it
    const probe = await probeMatmul(backend.name === "cpu" || backend.webgpuAdapter?.software ? 128 : 1024);
    const gpu = gpuReport();
    const result = { backend: backend.name, reason: backend.reason, webgpuAdapter: backend.webgpuAdapter, package: backend.package, tensorflow: backend.tensorflowVersion, threads: backend.threads, tfLogLevel: backend.tfLogLevel, tfEnv: backend.tfEnv, node: process.version, matmul: probe, gpu, warning: backend.warning ?? null };
    emit(args, result, () =>
      [
        `backend      ${backend.name} (${backend.package}) - ${backend.reason}`,
        ...(backend.webgpuAdapter ? [`adapter      ${describeAdapter(backend.webgpuAdapter)}`] : []),
        `tensorflow   ${backend.tensorflowVersion ?? 'n/a (pure JS)'}`,
        `tf logging   ${backend.tfLogLevel ? describeTfLogLevel(backend.tfLogLevel) : 'n/a (pure JS)'}`,
        ...(backend.tfEnv ? describeTfEnv(backend.tfEnv) : ['n/a (pure JS)']).map((l, i) => `${i ? '             ' : 'tf settings  '}${l}`),
        `threads      ${backend.threads}`,
        ...describeGpuReport(gpu),
        `node         ${process.version}`,
        `matmul ${probe.size}  ${probe.forwardGflops.toFixed(1)} GFLOP/s forward, ${probe.forwardBackwardGflops.toFixed(1)} GFLOP/s forward+backward`,
        ...(backend.warning ? [backend.warning] : []),
      ].join('\n'));
  }),
};
