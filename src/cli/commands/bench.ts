import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { benchModels, Runtime, RUNTIMES } from '../../pipelines/bench_models';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface BenchArgs extends CommonArgs {
  model: string[];
  batch: number;
  seq: number;
  runtime: Runtime;
  sentences: number;
}

export const benchCommand: CommandModule<CommonArgs, BenchArgs> = {
  command: 'bench',
  describe: 'Seed-card table: parameters, latency (batch 1), throughput, cost for N sentences; first model is the reference (teacher)',
  builder: (y) =>
    y
      .option('model', { type: 'string', array: true, demandOption: true, describe: 'model folders or Hub ids (org/name[@revision]); the first is the teacher the gap column compares with' })
      .option('batch', { type: 'number', default: 16 })
      .option('seq', { type: 'number', default: 256 })
      .option('runtime', { type: 'string', choices: [...RUNTIMES], default: 'tfjs' })
      .option('sentences', { type: 'number', default: 10000, describe: 'N for the cost column' }) as never,
  handler: runCommand(async (args: BenchArgs) => {
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    const rows = await benchModels(args.model, { batch: args.batch, seq: args.seq, runtime: args.runtime, costSentences: args.sentences });
    const t = rows[0];
    emit(args, { backend: backend.name, runtime: args.runtime, batch: args.batch, seq: args.seq, rows }, () => {
      const head = ['model', 'layers', 'params', 'latency b1', `throughput b${args.batch}`, `cost ${args.sentences} sent`, 'gap vs first'];
      const table = [head, ...rows.map((r, i) => [r.model, String(r.layers), `${(r.parameters / 1e6).toFixed(1)}M`, `${r.latencyMs.toFixed(1)} ms`, `${r.throughput.toFixed(1)}/s`, `${r.costSeconds.toFixed(0)} s`,
        i === 0 ? '' : `params ${((100 * r.parameters) / t.parameters).toFixed(0)}%, latency ${(100 * (r.latencyMs / t.latencyMs - 1)).toFixed(0)}%, throughput ${(r.throughput / t.throughput).toFixed(2)}x`])];
      const w = head.map((_, c) => Math.max(...table.map((row) => row[c].length)));
      return [`${args.runtime === 'onnx' ? 'onnxruntime-node' : `TensorFlow.js (${backend.name})`}, sequence ${args.seq}`, ...table.map((row) => row.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  '))].join('\n');
    });
  }),
};
