import type { CommandModule } from 'yargs';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../backend/select_backend';
import { loadConfig } from '../../config/parse_config';
import { SIGNAL_EXIT_CODES } from '../../distill/stop_signal';
import { trainRun, TrainRunSummary } from '../../pipelines/train_run';
import { TrainingStopped } from '../../pipelines/training_stopped';
import { checkResumeTarget } from '../../pipelines/resume_target';
import { DistillError } from '../../util/errors';
import { emit, runCommand } from '../output';
import { CommonArgs } from '../common_args';
import { formatSummaryTable } from '../summary_table';

interface TrainArgs extends CommonArgs {
  config?: string;
  set: string[];
  resume?: string;
  force: boolean;
  forceNew: boolean;
}

export const trainCommand: CommandModule<CommonArgs, TrainArgs> = {
  command: 'train',
  describe: 'Distil a student from a teacher as the config says (or --resume RUN_DIR)',
  builder: (y) =>
    y
      .option('config', { type: 'string', describe: 'experiment config (YAML or JSON); with --resume, defaults to the run\'s config.resolved.json' })
      .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: key=value (e.g. train.lr=5e-5)' })
      .option('resume', { type: 'string', describe: 'continue the run in this folder from its last checkpoint' })
      .option('force', { type: 'boolean', default: false, describe: 'resume even though the config changed' })
      .option('force-new', { type: 'boolean', default: false, describe: "start a new run in an output_dir that holds an old one, deleting the old run's files first" }) as never,
  handler: runCommand(async (args: TrainArgs) => {
    if (args.resume && args.forceNew) throw new DistillError('--force-new starts a new run; it cannot be combined with --resume');
    if (args.resume) checkResumeTarget(args.resume);
    let configFile = args.config;
    if (!configFile && args.resume) configFile = path.join(args.resume, 'config.resolved.json');
    if (!configFile) throw new DistillError('give --config FILE (or --resume RUN_DIR)');
    if (!fs.existsSync(configFile)) throw new DistillError('config file does not exist', configFile);
    const cfg = loadConfig(configFile, args.set);
    const backend = await selectBackend(args.backend, { verbose: args.verbose });
    if (backend.warning) process.stderr.write(backend.warning + '\n');
    let s: TrainRunSummary;
    try {
      // The library never exits the process: a signal that must end it at once comes back here.
      s = await trainRun(cfg, { resume: args.resume, force: args.force, forceNew: args.forceNew, quiet: args.json, onForcedStop: (sig) => process.exit(SIGNAL_EXIT_CODES[sig]) });
    } catch (e) {
      if (!(e instanceof TrainingStopped)) throw e;
      if (args.json) process.stdout.write(JSON.stringify({ stopped: e.signal, step: e.step, checkpoint: e.checkpoint, run_dir: e.runDir }) + '\n');
      process.stderr.write(e.message + '\n');
      process.exitCode = e.exitCode;
      return;
    }
    emit(args, { backend: backend.name, ...s }, () => formatSummaryTable(s));
  }),
};
