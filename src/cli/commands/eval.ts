import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { evaluateFiles } from '../../eval/eval_files';
import { disposeSentenceModel, loadSentenceModel } from '../../model/sentence_model';
import { resolveModel } from '../../hub/resolve_model';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface EvalArgs extends CommonArgs {
  model: string;
  data: string[];
}

export const evalCommand: CommandModule<CommonArgs, EvalArgs> = {
  command: 'eval',
  describe: 'Spearman x100 of cosine vs gold scores (STS) or 0/1 labels (+ best-threshold accuracy), per file and averaged',
  builder: (y) =>
    y
      .option('model', { type: 'string', demandOption: true, describe: 'model folder, or Hub id org/name[@revision]' })
      .option('data', { type: 'string', array: true, demandOption: true, describe: 'pair files (header sentence1/sentence2/score|label, or text, text, score columns); repeat for several' }) as never,
  handler: runCommand(async (args: EvalArgs) => {
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    const model = loadSentenceModel((await resolveModel(args.model, { where: '--model' })).dir);
    try {
      const r = await evaluateFiles(model, args.data);
      emit(args, { backend: backend.name, model: args.model, ...r }, () => {
        const rows = [['file', 'pairs', 'Spearman', 'accuracy'], ...r.results.map((x) => [x.file, String(x.pairs), x.spearman.toFixed(2), x.accuracy === undefined ? '' : `${x.accuracy.toFixed(2)} (t=${x.threshold!.toFixed(3)})`]), ['average', '', r.averageSpearman.toFixed(2), '']];
        const w = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
        return rows.map((row) => row.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ')).join('\n');
      });
    } finally {
      disposeSentenceModel(model);
    }
  }),
};
