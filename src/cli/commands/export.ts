import type { CommandModule } from 'yargs';
import * as fs from 'fs';
import { selectBackend } from '../../backend/select_backend';
import { EXPORT_FORMATS, exportModel, ExportFormat } from '../../export/export_model';
import { readSentences } from '../../data/read_sentences';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface ExportArgs extends CommonArgs {
  model: string;
  format: ExportFormat;
  out: string;
  opset: number;
  quantize?: 'int8';
  verify: boolean;
  verifyData?: string;
  force: boolean;
}

export const exportCommand: CommandModule<CommonArgs, ExportArgs> = {
  command: 'export',
  describe: 'Export a model to ONNX (with pooling and normalisation) or a sentence-transformers folder',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'model folder (e.g. a checkpoint or best/) or Hub id org/name[@revision]' })
      .option('format', { type: 'string', choices: [...EXPORT_FORMATS], default: 'onnx' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder (refused if it exists, unless --force)' })
      .option('opset', { type: 'number', default: 17, describe: 'ONNX opset (17-21)' })
      .option('quantize', { type: 'string', choices: ['int8'], describe: 'also write onnx/model_quantized.onnx with per-channel int8 weights' })
      .option('verify', { type: 'boolean', default: false, describe: 'run the export in onnxruntime-node and compare with TensorFlow.js; fail and write nothing if it drifts' })
      .option('verify-data', { type: 'string', describe: 'sentences to verify on, one per line (default: a built-in mixed-length set)' })
      .option('force', { type: 'boolean', default: false }) as never,
  handler: runCommand(async (args: ExportArgs) => {
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    const verifySentences = args.verifyData ? readSentences(args.verifyData).sentences : undefined;
    const r = await exportModel({ model: args.model, out: args.out, format: args.format, opset: args.opset, quantize: args.quantize, verify: args.verify, verifySentences, force: args.force });
    for (const line of r.removedLeftovers ?? []) process.stderr.write(line + '\n');
    emit(args, { backend: backend.name, ...r }, () => {
      const lines = [`exported ${args.model} -> ${r.out} (${r.format}${r.opset ? `, opset ${r.opset}` : ''})`];
      for (const [f, n] of Object.entries(r.files)) if (fs.existsSync(`${r.out}/${f}`)) lines.push(`  ${f.padEnd(28)} ${(n / 1e6).toFixed(2)} MB`);
      if (r.verify) lines.push(`verified on ${r.verify.sentences} sentences: onnxruntime vs TensorFlow.js max abs difference ${r.verify.maxAbsDiff.toExponential(2)} (tolerance ${r.verify.tolerance})`);
      if (r.int8) lines.push(`int8: ${r.int8.sizeRatio.toFixed(2)}x smaller; drift vs fp32: mean cosine ${r.int8.meanCosine.toFixed(5)}, min ${r.int8.minCosine.toFixed(5)}, max abs ${r.int8.maxAbsDiff.toExponential(2)}`);
      return lines.join('\n');
    });
  }),
};
