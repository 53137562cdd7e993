import { ExperimentConfig } from '../config/experiment_config';
import { checkpointDir, listCheckpoints } from '../distill/checkpoint';
import { MetricsLog } from '../distill/metrics_log';
import { SIGNAL_EXIT_CODES, StopSignalName } from '../distill/stop_signal';
import { MlflowTracker } from '../tracking/mlflow_tracker';
import { stopTracking } from './finish_tracking';

/**
 * What `trainRun` throws when SIGINT or SIGTERM stopped it. The library never
 * exits the process: the CLI prints `message` (what was saved and how to go
 * on) and exits with `exitCode` (130 for SIGINT, 143 for SIGTERM).
 */
export class TrainingStopped extends Error {
  readonly exitCode: number;

  constructor(readonly signal: StopSignalName, message: string, readonly runDir: string, readonly checkpoint: string | null, readonly step: number | null) {
    super(message);
    this.name = 'TrainingStopped';
    this.exitCode = SIGNAL_EXIT_CODES[signal];
  }
}

export function resumeCommand(runDir: string): string {
  return `distill train --resume ${runDir}`;
}

/** Stopped between steps: the loop's onStop wrote the step checkpoint; tracking is flushed and the run marked KILLED. */
export async function stoppedInTraining(signal: StopSignalName, cfg: ExperimentConfig, runDir: string, step: number, total: number, tracker: MlflowTracker | null, metrics: MetricsLog): Promise<TrainingStopped> {
  const ckpt = checkpointDir(runDir, step);
  const title = `${cfg.name} (stopped by ${signal} at step ${step} of ${total})`;
  const tracked = await stopTracking(tracker, title, runDir, metrics, Math.min(cfg.tracking.final_timeout_s, 10));
  const saved = [`checkpoint ${ckpt} (weights, optimizer state, data position)`, metrics.file, ...tracked];
  return new TrainingStopped(signal, [
    `stopped by ${signal} at step ${step} of ${total}`,
    `saved: ${saved.join('; ')}`,
    `resume with: ${resumeCommand(runDir)}`,
  ].join('\n'), runDir, ckpt, step);
}

/** Stopped while reading data or computing teacher embeddings: no step ran in this process, nothing of the run was written. */
export function stoppedBeforeTraining(signal: StopSignalName, runDir: string, resumedFrom: string | null): TrainingStopped {
  const next = resumedFrom
    ? `the run is as its checkpoint ${resumedFrom} left it; resume with: ${resumeCommand(runDir)}`
    : 'nothing was trained; start again with the same command';
  return new TrainingStopped(signal, `stopped by ${signal} while preparing data, before training (teacher embeddings finished so far are cached)\n${next}`, runDir, resumedFrom, null);
}

/** The line printed when a signal ends the run at once (a second signal, or train.signal_checkpoint false). */
export function immediateStopMessage(signal: StopSignalName, runDir: string, second: boolean): string {
  const last = listCheckpoints(runDir).pop();
  const why = second ? `received ${signal} again: stopping at once` : `received ${signal}: stopping at once (train.signal_checkpoint is false)`;
  return `${why}, without saving; ${last ? `last complete checkpoint: ${last}; resume with: ${resumeCommand(runDir)}` : 'no checkpoint was written yet: start again with the same command'}`;
}
