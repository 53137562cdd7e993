import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { configHash } from '../config/config_hash';
import { listCheckpoints, LoadedCheckpoint } from '../distill/checkpoint';
import { loadLatestCheckpoint } from '../distill/latest_checkpoint';
import { DistillError } from '../util/errors';

export interface RunFolder {
  runDir: string;
  hash: string;
  /** The checkpoint to continue from, when resuming. */
  resume?: LoadedCheckpoint;
}

/**
 * Checks the run folder before anything loads: a new run needs a folder
 * without checkpoints; a resumed one needs a complete checkpoint whose config
 * hash matches (only keys that change the trajectory count) unless forced.
 */
export function openRunFolder(cfg: ExperimentConfig, opts: { resume?: string; force?: boolean; log?: (line: string) => void }): RunFolder {
  const runDir = opts.resume ?? cfg.output_dir;
  const hash = configHash(cfg);
  if (!opts.resume) {
    if (listCheckpoints(runDir).length) throw new DistillError('output folder already holds a run; resume it with --resume, or set output_dir to a new folder', runDir);
    return { runDir, hash };
  }
  if (!fs.existsSync(runDir)) throw new DistillError('run folder to resume does not exist', runDir);
  const resume = loadLatestCheckpoint(runDir, opts.log ?? ((l) => process.stderr.write(l + '\n')));
  if (!resume) throw new DistillError('no checkpoint to resume from: expected checkpoints/step-NNNNNNN folders (is this a run folder of distill train?)', runDir);
  if (resume.state.configHash !== hash && !opts.force) {
    throw new DistillError(`the config differs from the one this run was started with in a key that changes training (hash ${resume.state.configHash}, now ${hash}); ` +
      `diff against ${path.join(runDir, 'config.resolved.json')} or pass --force to resume anyway`, runDir);
  }
  return { runDir, hash, resume };
}
