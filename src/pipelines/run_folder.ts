import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { configHash } from '../config/config_hash';
import { LoadedCheckpoint } from '../distill/checkpoint';
import { loadLatestCheckpoint } from '../distill/latest_checkpoint';
import { DistillError } from '../util/errors';
import { describeLeftovers, removeLeftoverTemps } from '../util/leftover_temps';
import { checkResumeTarget } from './resume_target';
import { lockRunFolder } from './run_lock';
import { dropForRestart, removeRunParts, runPartsIn } from './run_parts';

export interface RunFolder {
  runDir: string;
  hash: string;
  /** The checkpoint to continue from, when resuming. */
  resume?: LoadedCheckpoint;
  /** Releases the folder's lock; call it on every path once the run ends. */
  close(): void;
}

export interface RunFolderOptions {
  resume?: string;
  force?: boolean;
  forceNew?: boolean;
  log: (line: string) => void;
}

/**
 * Opens the run folder before anything loads: takes its lock (one run per
 * folder at a time), removes temporaries that dead writers left, then checks
 * its state. A new run needs a folder holding no part of a run (or
 * `forceNew`, which clears it); a resumed one continues from the newest step
 * checkpoint, whose config hash must match (only keys that change the
 * trajectory count) unless forced, or from step 0 when the run died before
 * its first checkpoint.
 */
export function openRunFolder(cfg: ExperimentConfig, opts: RunFolderOptions): RunFolder {
  const runDir = opts.resume ?? cfg.output_dir;
  if (opts.resume) checkResumeTarget(opts.resume);
  const lock = lockRunFolder(runDir, !!opts.resume, opts.log);
  try {
    const leftovers = [...removeLeftoverTemps(runDir), ...removeLeftoverTemps(path.join(runDir, 'checkpoints'))];
    for (const line of describeLeftovers(leftovers)) opts.log(line);
    const hash = configHash(cfg);
    const resume = opts.resume ? resumePoint(runDir, hash, opts) : startNew(runDir, opts);
    return { runDir, hash, resume, close: lock.close };
  } catch (e) {
    lock.close();
    throw e;
  }
}

function startNew(runDir: string, opts: RunFolderOptions): undefined {
  const parts = runPartsIn(runDir);
  if (!parts.length) return undefined;
  if (!opts.forceNew) {
    throw new DistillError(`output folder already holds a run (${parts.join(', ')}); resume it with --resume ${runDir}, ` +
      'start over with --force-new (deletes those), or set output_dir to a new folder', runDir);
  }
  removeRunParts(runDir, parts);
  opts.log(`--force-new: removed the previous run's ${parts.join(', ')} from ${runDir}`);
  return undefined;
}

function resumePoint(runDir: string, hash: string, opts: RunFolderOptions): LoadedCheckpoint | undefined {
  const resume = loadLatestCheckpoint(runDir, opts.log);
  if (!resume) {
    if (!fs.existsSync(path.join(runDir, 'config.resolved.json'))) {
      throw new DistillError('no checkpoint to resume from, and no run was started here (no config.resolved.json; is this a run folder of distill train?)', runDir);
    }
    const dropped = dropForRestart(runDir);
    opts.log(`${runDir}: no step checkpoint (the run stopped before its first one): starting it again from step 0; dropped its ${dropped.length ? dropped.join(', ') : 'nothing (no metrics yet)'}`);
    return undefined;
  }
  if (resume.state.configHash !== hash && !opts.force) {
    throw new DistillError(`the config differs from the one this run was started with in a key that changes training (hash ${resume.state.configHash}, now ${hash}); ` +
      `diff against ${path.join(runDir, 'config.resolved.json')} or pass --force to resume anyway`, runDir);
  }
  return resume;
}
