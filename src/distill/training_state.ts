/** Everything beyond weights and optimizer slots that a resumed run needs to continue exactly. */
export interface TrainingState {
  version: 1;
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
  best: { step: number; spearman: number } | null;
  trackingRunId: string | null;
  /** Sentences seen, for throughput across restarts. */
  sentencesSeen: number;
}

export interface EvalPoint {
  step: number;
  spearman: number;
}
