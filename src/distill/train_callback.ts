import { StepResult } from './trainer';
import { TrainingState } from './training_state';

/** What the loop reports after each optimizer step. */
export interface StepEvent {
  step: number;
  totalSteps: number;
  epoch: number;
  lr: number;
  result: StepResult;
  /** Training throughput since this process started training. */
  sentencesPerSecond: number;
}

/**
 * The loop's extension points: metrics, evaluation, checkpoints and user
 * hooks are all callbacks, called in order. `state` is the loop's live state;
 * callbacks may record into it (evals, best) and it is what a checkpoint saves.
 */
export interface TrainCallback {
  /** Before the first step of this process (after a resume too). */
  onStart?(state: TrainingState): void | Promise<void>;
  onStep?(e: StepEvent, state: TrainingState): void | Promise<void>;
  /** After the last step, once, in order: final evaluation, then the final checkpoint. */
  onEnd?(state: TrainingState): void | Promise<void>;
  /** Instead of onEnd when a stop was requested (SIGINT/SIGTERM): `state` is that of the last finished step. */
  onStop?(state: TrainingState): void | Promise<void>;
}
