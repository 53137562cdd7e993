import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { encodeFile } from '../../pipelines/encode_file';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface EncodeArgs extends CommonArgs {
  model: string;
  input: string;
  output?: string;
  batch: number;
  field: string;
  runtime: 'tfjs' | 'onnx';
  force: boolean;
}

export const encodeCommand: CommandModule<CommonArgs, EncodeArgs> = {
  command: 'encode',
  describe: 'Sentence embeddings for a text file (one sentence per line) or JSONL',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'model folder (Hugging Face / sentence-transformers layout) or Hub id org/name[@revision]' })
      .option('input', { type: 'string', demandOption: true, describe: 'UTF-8 text, one sentence per line, or .jsonl' })
      .option('output', { type: 'string', describe: 'write embeddings to FILE.arrow or FILE.jsonl (default: print them)' })
      .option('force', { type: 'boolean', default: false, describe: 'overwrite --output if it exists' })
      .option('batch', { type: 'number', default: 32, describe: 'sentences per batch' })
      .option('field', { type: 'string', default: 'text', describe: 'JSONL field holding the sentence' })
      .option('runtime', { type: 'string', choices: ['tfjs', 'onnx'], default: 'tfjs', describe: 'onnx: the same model exported (cached in .cache/onnx) and run in onnxruntime-node' }) as never,
  handler: runCommand(async (args: EncodeArgs) => {
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    if (backend.warning) process.stderr.write(backend.warning + '\n');
    const s = await encodeFile({ model: args.model, input: args.input, output: args.output, batchSize: args.batch, field: args.field, runtime: args.runtime, force: args.force });
    emit(args, { backend: backend.name, ...s }, () => {
      const lines = [
        `encoded ${s.sentences} sentences -> ${s.dim}-d in ${s.seconds.toFixed(2)}s (${s.sentencesPerSecond.toFixed(1)} sent/s)`,
        `truncated to ${s.maxSeqLength} tokens: ${s.truncated}   blank lines skipped: ${s.skippedBlankLines}   padding: ${(100 * s.paddingFraction).toFixed(1)}%`,
      ];
      if (s.output) lines.push(`wrote ${s.output}`);
      else s.embeddings!.forEach((e) => lines.push(e.map((x) => x.toFixed(6)).join(' ')));
      return lines.join('\n');
    });
  }),
};
