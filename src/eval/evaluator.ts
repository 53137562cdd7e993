import { SentenceModel } from '../model/sentence_model';

/**
 * A dev-set score computed on the student during training. One evaluator,
 * one metric: `name` is the key it is logged under (`eval_<name>` in
 * metrics.jsonl) and the value `train.metric_for_best` names to pick "best".
 * User code can pass its own to `trainRun` through `TrainRunOptions.evaluators`.
 */
export interface Evaluator {
  readonly name: string;
  /** True for scores (Spearman), false for errors (MSE): decides which value is "best". */
  readonly greaterIsBetter: boolean;
  /** A one-line description for logs, e.g. "STS Spearman x100 on 1500 dev pairs". */
  readonly description: string;
  evaluate(model: SentenceModel): Promise<number>;
}

/** True when `value` beats `previous` for this evaluator (any value beats none). */
export function isBetter(ev: Pick<Evaluator, 'greaterIsBetter'>, value: number, previous: number | undefined): boolean {
  if (previous === undefined) return true;
  return ev.greaterIsBetter ? value > previous : value < previous;
}
