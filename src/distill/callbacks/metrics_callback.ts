import { Progress } from '../../util/progress';
import { MetricsLog } from '../metrics_log';
import { StepEvent, TrainCallback } from '../train_callback';
import { TrainingState } from '../training_state';

/**
 * Writes windowed means of the loss and each loss term to metrics.jsonl every
 * `logEvery` steps (and at the last step and at a stop, so no step's loss
 * is lost), and draws the progress line.
 */
export class MetricsCallback implements TrainCallback {
  private window = { loss: 0, terms: [] as number[], n: 0 };
  private progress?: Progress;
  private startStep = 0;
  private last?: StepEvent;

  constructor(private readonly metrics: MetricsLog, private readonly lossNames: string[], private readonly logEvery: number, private readonly quiet = false) {}

  onStart(state: TrainingState): void {
    this.startStep = state.step;
  }

  onStep(e: StepEvent): void {
    const w = this.window;
    w.loss += e.result.loss;
    e.result.terms.forEach((t, i) => (w.terms[i] = (w.terms[i] ?? 0) + t));
    w.n++;
    this.last = e;
    if (e.step % this.logEvery === 0 || e.step === e.totalSteps) this.flush(e);
    this.progress ??= new Progress('train', Math.max(0, e.totalSteps - this.startStep), 'step', process.stderr, this.quiet);
    this.progress.update(e.step - this.startStep, { loss: e.result.loss, lr: e.lr.toExponential(2), 'sent/s': e.sentencesPerSecond });
  }

  /** The steps since the last entry, logged at the stop step (a resumed run's next entry averages only its own steps). */
  onStop(): void {
    if (this.window.n && this.last) this.flush(this.last);
  }

  private flush(e: StepEvent): void {
    const w = this.window;
    const entry: Record<string, number> = { step: e.step, epoch: e.epoch, lr: e.lr, loss: w.loss / w.n, grad_norm: e.result.gradNorm, sentences_per_second: e.sentencesPerSecond };
    this.lossNames.forEach((name, i) => (entry[`loss/${name}`] = w.terms[i] / w.n));
    this.metrics.append(entry);
    this.window = { loss: 0, terms: [], n: 0 };
  }
}
