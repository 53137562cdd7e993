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
