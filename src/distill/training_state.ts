import { DistillError } from '../util/errors';

/** Everything beyond weights and optimizer slots that a resumed run needs to continue exactly. */
export interface TrainingState {
  version: 2;
  /** Optimizer steps done. */
  step: number;
  epoch: number;
  /** Micro-batches of the current epoch already consumed (the data cursor). */
  batchInEpoch: number;
  /** RNG state at the start of the current epoch: re-plans the same batches. */
  epochRngState: number;
  /** RNG state now (after this epoch's plan). */
  rngState: number;
  configHash: string;
  evals: EvalPoint[];
  best: BestPoint | null;
  trackingRunId: string | null;
  /** Sentences seen, for throughput across restarts. */
  sentencesSeen: number;
}

/** One evaluation: the step and each evaluator's value by name (e.g. `spearman`, `mse_to_teacher`). */
export type EvalPoint = { step: number } & Record<string, number>;

export interface BestPoint {
  step: number;
  metric: string;
  value: number;
}

export function initialState(seed: number, configHash: string): TrainingState {
  return {
    version: 2, step: 0, epoch: 0, batchInEpoch: 0, epochRngState: seed, rngState: seed,
    configHash, evals: [], best: null, trackingRunId: null, sentencesSeen: 0,
  };
}

/** Reads a state of any version we wrote; version 1 kept only STS Spearman. */
export function upgradeState(raw: Record<string, unknown>): TrainingState | null {
  if (raw.version === 2) return raw as unknown as TrainingState;
  if (raw.version !== 1) return null;
  const best = raw.best as { step: number; spearman: number } | null;
  return { ...(raw as unknown as TrainingState), version: 2, best: best ? { step: best.step, metric: 'spearman', value: best.spearman } : null };
}

/** What the run's config and data allow a resumed state to hold. */
export interface StateLimits {
  /** Optimizer steps this config trains in all. */
  totalSteps: number;
  epochs: number;
  /** Micro-batches in one epoch. */
  batchesPerEpoch: number;
}

/**
 * Refuses a loaded state whose fields are out of range (a hand edit, a bit
 * flip, another program's file) before anything uses it: a negative cursor
 * would crash deep in the batch code, a step past the end would be accepted
 * silently. `file` is the training_state.json it came from.
 */
export function checkState(state: TrainingState, file: string, limits: StateLimits): void {
  const bad = (key: string, what: string, got: unknown): never => {
    throw new DistillError(`key "${key}" must be ${what}, got ${JSON.stringify(got)}`, file);
  };
  const count = (key: 'step' | 'epoch' | 'batchInEpoch' | 'sentencesSeen', max?: number, why = '') => {
    const v = state[key];
    if (!Number.isSafeInteger(v) || v < 0) bad(key, 'a non-negative integer', v);
    if (max !== undefined && v > max) bad(key, `at most ${max}${why}`, v);
  };
  count('step', limits.totalSteps, ` (the steps this config trains: train.epochs / train.max_steps)`);
  count('epoch', limits.epochs, ' (train.epochs)');
  count('batchInEpoch', limits.batchesPerEpoch, ` (the batches in one epoch of this data at train.batch_size)`);
  count('sentencesSeen');
  for (const key of ['epochRngState', 'rngState'] as const) {
    if (!Number.isInteger(state[key]) || state[key] < 0 || state[key] > 0xffffffff) bad(key, 'an RNG state (an integer in 0..4294967295)', state[key]);
  }
  if (!Array.isArray(state.evals)) bad('evals', 'a list of {step, metric: value}', state.evals);
  state.evals.forEach((e, i) => checkPoint(e, `evals[${i}]`, state.step, bad));
  if (state.best !== null) {
    checkPoint(state.best as unknown as EvalPoint, 'best', state.step, bad);
    if (typeof state.best.metric !== 'string') bad('best.metric', 'a metric name', state.best.metric);
  }
  if (state.trackingRunId !== null && typeof state.trackingRunId !== 'string') bad('trackingRunId', 'an MLflow run id or null', state.trackingRunId);
}

/** An eval or best point: an object with a step no later than the state's, other fields numbers (NaN is saved as null) or, for best, the metric's name. */
function checkPoint(p: EvalPoint, key: string, maxStep: number, bad: (key: string, what: string, got: unknown) => never): void {
  if (!p || typeof p !== 'object' || Array.isArray(p)) bad(key, 'an object', p);
  if (!Number.isSafeInteger(p.step) || p.step < 0 || p.step > maxStep) bad(`${key}.step`, `an integer in 0..${maxStep} (the state's step)`, p.step);
  for (const [k, v] of Object.entries(p)) {
    if (k !== 'metric' && v !== null && typeof v !== 'number') bad(`${key}.${k}`, 'a number', v);
  }
}
