import { Evaluator, isBetter } from '../../eval/evaluator';
import { SentenceModel } from '../../model/sentence_model';
import { DistillError } from '../../util/errors';
import { MetricsLog } from '../metrics_log';
import { StepEvent, TrainCallback } from '../train_callback';
import { TrainingState } from '../training_state';

export interface EvalCallbackOptions {
  evaluators: Evaluator[];
  /** Evaluator name whose value decides "best"; default the first evaluator's. */
  metricForBest?: string;
  /** Evaluate every this many steps (0: only before training and at the end). */
  every: number;
  /** Called with the step whenever a new best is reached: write the best model (awaited). */
  onBest: (state: TrainingState) => void | Promise<void>;
  log: (line: string) => void;
}

/**
 * Runs every evaluator on the student before training, every `every` steps
 * and at the end; records the values in the state and metrics.jsonl, and
 * tracks "best" by `metricForBest` in that evaluator's direction.
 */
export class EvalCallback implements TrainCallback {
  /** The evaluator whose value decides "best" (undefined when the run evaluates nothing). */
  readonly decider?: Evaluator;

  constructor(private readonly model: SentenceModel, private readonly metrics: MetricsLog, private readonly o: EvalCallbackOptions) {
    const names = o.evaluators.map((e) => e.name);
    if (new Set(names).size !== names.length) throw new DistillError(`evaluator names must be unique; got ${names.join(', ')}`, 'evaluators');
    this.decider = o.metricForBest ? o.evaluators.find((e) => e.name === o.metricForBest) : o.evaluators[0];
    if (o.metricForBest && !this.decider) {
      throw new DistillError(`unknown metric "${o.metricForBest}"; this run evaluates: ${names.length ? names.join(', ') : '(nothing: give data.dev or data.dev_ratio)'}`, 'train.metric_for_best');
    }
  }

  /** Step 0 is the student before training: a baseline, not a candidate for best. */
  async onStart(state: TrainingState): Promise<void> {
    if (state.step === 0 && !state.evals.length && this.o.evaluators.length) await this.evaluate(state, false);
  }

  async onStep(e: StepEvent, state: TrainingState): Promise<void> {
    if (this.o.every > 0 && e.step % this.o.every === 0) await this.evaluate(state, true);
  }

  async onEnd(state: TrainingState): Promise<void> {
    if (!state.evals.some((p) => p.step === state.step)) await this.evaluate(state, true);
  }

  private async evaluate(state: TrainingState, candidate: boolean): Promise<void> {
    if (!this.o.evaluators.length) return;
    const point: Record<string, number> = { step: state.step };
    for (const ev of this.o.evaluators) point[ev.name] = await ev.evaluate(this.model);
    state.evals.push(point as TrainingState['evals'][number]);
    this.metrics.append(Object.fromEntries(Object.entries(point).map(([k, v]) => [k === 'step' ? k : `eval_${k}`, v])));
    const d = this.decider!;
    const best = candidate && isBetter(d, point[d.name], state.best?.value);
    if (best) state.best = { step: state.step, metric: d.name, value: point[d.name] };
    const values = this.o.evaluators.map((ev) => `${ev.name} ${point[ev.name].toFixed(ev.greaterIsBetter ? 2 : 4)}`).join(', ');
    this.o.log(`eval step ${state.step}${candidate ? '' : ' (before training)'}: ${values}${best ? ' (best)' : ''}`);
    if (best) await this.o.onBest(state);
  }
}
