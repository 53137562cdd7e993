import type { CommandModule } from 'yargs';
import { selectBackend } from '../../backend/select_backend';
import { loadConfig } from '../../config/parse_config';
import { SIGNAL_EXIT_CODES } from '../../distill/stop_signal';
import { trainRun } from '../../pipelines/train_run';
import { TrainingStopped } from '../../pipelines/training_stopped';
import { DistillError } from '../../util/errors';
import { runCommand } from '../output';
import { CommonArgs } from '../common_args';

interface SweepVariantArgs extends CommonArgs {
  config: string;
  set: string[];
  tag: string[];
  resume?: string;
  forceNew: boolean;
}

/**
 * One variant of `distill sweep --parallel N`, in its own process (hidden:
 * the sweep starts it). It stops itself, with a checkpoint, when the sweep
 * that started it is gone, so a killed sweep leaves no orphan holding a run
 * folder's lock.
 */
export const sweepVariantCommand: CommandModule<CommonArgs, SweepVariantArgs> = {
  command: 'sweep-variant',
  describe: false,
  builder: (y) =>
    y
      .option('config', { type: 'string', demandOption: true })
      .option('set', { type: 'string', array: true, default: [] })
      .option('tag', { type: 'string', array: true, default: [] })
      .option('resume', { type: 'string' })
      .option('force-new', { type: 'boolean', default: false }) as never,
  handler: runCommand(async (args: SweepVariantArgs) => {
    // Once the sweep is gone its end of the stderr pipe is closed: a failed log write must not end the run before its stop checkpoint.
    process.stderr.on('error', () => {});
    const parent = process.ppid;
    setInterval(() => process.ppid !== parent && process.kill(process.pid, 'SIGTERM'), 500).unref();
    const tags = Object.fromEntries(args.tag.map((t) => {
      const eq = t.indexOf('=');
      if (eq <= 0) throw new DistillError(`--tag "${t}": expected key=value`);
      return [t.slice(0, eq), t.slice(eq + 1)];
    }));
    const cfg = loadConfig(args.config, args.set);
    await selectBackend(args.backend, { verbose: args.verbose });
    try {
      await trainRun(cfg, { resume: args.resume, forceNew: args.forceNew, quiet: true, trackingTags: tags, onForcedStop: (sig) => process.exit(SIGNAL_EXIT_CODES[sig]) });
    } catch (e) {
      if (!(e instanceof TrainingStopped)) throw e;
      process.stderr.write(e.message + '\n');
      process.exitCode = e.exitCode;
    }
  }),
};
