import { StepEvent, TrainCallback } from '../train_callback';
import { TrainingState } from '../training_state';

/**
 * Saves a step checkpoint every `every` steps, at the end, and at a stop
 * (SIGINT/SIGTERM) unless this step's checkpoint is already written.
 */
export class CheckpointCallback implements TrainCallback {
  private lastSaved: number | null = null;

  constructor(private readonly every: number, private readonly save: (state: TrainingState) => void) {}

  /** A state past step 0 at the start was restored from a checkpoint of exactly that step. */
  onStart(state: TrainingState): void {
    this.lastSaved = state.step > 0 ? state.step : null;
  }

  onStep(e: StepEvent, state: TrainingState): void {
    if (this.every > 0 && e.step % this.every === 0) this.write(state);
  }

  onEnd(state: TrainingState): void {
    this.write(state);
  }

  onStop(state: TrainingState): void {
    if (this.lastSaved !== state.step) this.write(state);
  }

  private write(state: TrainingState): void {
    this.save(state);
    this.lastSaved = state.step;
  }
}
