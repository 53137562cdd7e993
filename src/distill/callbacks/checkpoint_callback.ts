import { StepEvent, TrainCallback } from '../train_callback';
import { TrainingState } from '../training_state';

/**
 * Saves a step checkpoint every `every` steps, at the end, and at a stop
 * (SIGINT/SIGTERM) unless this step's checkpoint is already written.
 */
export class CheckpointCallback implements TrainCallback {
  private lastSaved: number | null = null;

  constructor(private readonly every: number, private readonly save: (state: TrainingState) => void | Promise<void>) {}

  /** A state past step 0 at the start was restored from a checkpoint of exactly that step. */
  onStart(state: TrainingState): void {
    this.lastSaved = state.step > 0 ? state.step : null;
  }

  async onStep(e: StepEvent, state: TrainingState): Promise<void> {
    if (this.every > 0 && e.step % this.every === 0) await this.write(state);
  }

  async onEnd(state: TrainingState): Promise<void> {
    await this.write(state);
  }

  async onStop(state: TrainingState): Promise<void> {
    if (this.lastSaved !== state.step) await this.write(state);
  }

  private async write(state: TrainingState): Promise<void> {
    await this.save(state);
    this.lastSaved = state.step;
  }
}
