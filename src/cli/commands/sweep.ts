import type { CommandModule } from 'yargs';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../backend/select_backend';
import { SIGNAL_EXIT_CODES, StopSignalName } from '../../distill/stop_signal';
import { planSweep, SweepPlan } from '../../pipelines/sweep_plan';
import { inProcessRunner, runSweep, SweepResult } from '../../pipelines/sweep_run';
import { gridFromArgs, readSpaceFile, SweepSpace } from '../../pipelines/sweep_space';
import { formatSweepText, resolveMetric, showValue } from '../../pipelines/sweep_table';
import { DistillError } from '../../util/errors';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';
import { childProcessRunner } from '../sweep_child_runner';

interface SweepArgs extends CommonArgs {
  config: string;
  set: string[];
  grid: string[];
  random?: number;
  space?: string;
  seed: number;
  name?: string;
  parallel: number;
  metric?: string;
  dryRun: boolean;
}

function spaceFrom(args: SweepArgs): SweepSpace {
  if (args.random !== undefined) {
    if (!Number.isInteger(args.random) || args.random < 1) throw new DistillError(`--random must be a positive number of runs, got ${args.random}`);
    if (!args.space) throw new DistillError('--random N needs --space FILE with a "random:" mapping of key: distribution');
    if (args.grid.length) throw new DistillError('give --grid or --random, not both');
    return readSpaceFile(args.space, { n: args.random, seed: args.seed });
  }
  if (args.space && args.grid.length) throw new DistillError('give --grid or --space FILE, not both');
  if (args.space) return readSpaceFile(args.space);
  if (!args.grid.length) throw new DistillError('give --grid key=v1,v2 ... (or --space FILE, or --random N --space FILE)');
  return { mode: 'grid', grids: [gridFromArgs(args.grid)] };
}

function planText(plan: SweepPlan): string {
  return [`sweep ${plan.name}: ${plan.variants.length} run${plan.variants.length === 1 ? '' : 's'} in ${plan.dir}`, ...plan.variants.map((v, i) => `  ${i + 1}. ${v.id}: ${Object.entries(v.values).map(([k, x]) => `${k}=${showValue(x)}`).join(' ')}`),
    ...plan.duplicates.map((d) => `  (${d}: run once)`)].join('\n');
}

function resultText(r: SweepResult): string {
  return [
    `sweep ${r.plan.name}: ${r.outcomes.filter((o) => o.status === 'finished').length} trained, ${r.outcomes.filter((o) => o.status === 'skipped').length} skipped (finished before), ${r.failed} failed${r.stopped ? ', stopped by ' + r.stopped.signal : ''}; ranked by ${r.table.metric} (${r.table.greaterIsBetter ? 'higher' : 'lower'} is better)`,
    formatSweepText(r.table),
    `table: ${r.files.markdown}, ${r.files.tsv}, ${r.files.json}`,
    `report: ${r.files.report}`,
    ...(r.mlflow ? [`MLflow: parent run ${r.mlflow.parentRunId} at ${r.mlflow.uri}`] : []),
    ...(r.stopped ? [`rerun the same command to resume the stopped run and run the rest`] : []),
  ].join('\n');
}

export const sweepCommand: CommandModule<CommonArgs, SweepArgs> = {
  command: 'sweep',
  describe: 'Train every variant of a config (a grid or random draws of keys), each in its own run folder, and rank them',
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true, describe: 'the base experiment config (YAML or JSON)' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a base config key for every run: key=value' })
      .option('grid', { type: 'string', array: true, default: [], describe: "key=v1,v2,... (YAML values; a list value in brackets: 'student.layers=[1,3,5],[0,5]'); runs every combination" })
      .option('space', { type: 'string', describe: 'space file: grid: {key: [values]}, grids: [{...}, ...] or random: {key: {choice|uniform|log_uniform|int_uniform: [...]}}' })
      .option('random', { type: 'number', describe: 'draw N variants from the space file\'s "random:" distributions' })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the random draws' })
      .option('name', { type: 'string', describe: 'the sweep\'s folder is <output_dir>/sweep-<name> (default: the space file\'s name, else grid-<keys>)' })
      .option('parallel', { type: 'number', default: 1, describe: 'run N variants at a time, each in its own process' })
      .option('metric', { type: 'string', describe: 'rank by this evaluated metric (NAME, NAME:max, NAME:min); default the runs\' dev metric' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'validate and list the runs, train nothing' }) as never,
  handler: runCommand(async (args: SweepArgs) => {
    if (!fs.existsSync(args.config)) throw new DistillError('config file does not exist', args.config);
    const name = args.name ?? (args.space ? path.basename(args.space).replace(/\.(ya?ml|json)$/, '') : undefined);
    resolveMetric(args.metric, []);
    const plan = planSweep(args.config, spaceFrom(args), { sets: args.set, name });
    if (args.dryRun) {
      emit(args, { name: plan.name, dir: plan.dir, keys: plan.keys, variants: plan.variants.map((v) => ({ id: v.id, values: v.values, run_dir: v.runDir })), duplicates: plan.duplicates }, () => planText(plan));
      return;
    }
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    if (backend.warning) process.stderr.write(backend.warning + '\n');
    const log = (l: string) => process.stderr.write(l + '\n');
    const children = args.parallel > 1 ? childProcessRunner({ cli: process.argv[1], configFile: args.config, sets: args.set, backend: args.backend, verbose: args.verbose, log }) : null;
    const forward = (sig: StopSignalName) => () => children?.signalAll(sig);
    const handlers = children ? (['SIGINT', 'SIGTERM'] as const).map((s) => [s, forward(s)] as const) : [];
    for (const [s, h] of handlers) process.on(s, h);
    let r: SweepResult;
    try {
      r = await runSweep(plan, {
        parallel: args.parallel, metric: args.metric, log, quiet: args.json,
        runner: children?.run ?? inProcessRunner({ quiet: args.json, log, onForcedStop: (sig) => process.exit(SIGNAL_EXIT_CODES[sig]) }),
      });
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
    }
    emit(args, { name: r.plan.name, dir: r.plan.dir, ...r.table, files: r.files, mlflow: r.mlflow, failed: r.failed, stopped: r.stopped?.signal ?? null }, () => resultText(r));
    if (r.stopped) process.exitCode = r.stopped.exitCode;
    else if (r.failed) process.exitCode = 2;
  }),
};
