import { TrainSpec } from '../config/experiment_config';
import { warmupLinear } from './lr_schedule';
import { StopRequest, StopSignalName } from './stop_signal';
import { TrainCallback } from './train_callback';
import { EpochBatches } from './epoch_batches';
import { planEpochWindows } from './epoch_windows';
import { TrainData } from './train_data';
import { memorySource, TrainSource } from './train_source';
import { Trainer } from './trainer';
import { TrainingState } from './training_state';

export interface LoopResult {
  state: TrainingState;
  seconds: number;
  sentencesPerSecond: number;
  totalSteps: number;
  /** Set when a stop request ended the loop early (onStop ran instead of onEnd). */
  stoppedBy?: StopSignalName;
}

/**
 * Seeded, length-bucketed epochs of `trainer.trainStep` with warmup-linear
 * decay, reading the data a window at a time (EpochBatches). Resumes from
 * `state` exactly: each epoch's window and batch plan is rebuilt from the RNG
 * state saved at the epoch's start and the cursor goes straight to its
 * window, reading nothing before it. Everything else (metrics, evaluation, checkpoints) is a callback.
 * `stop` is checked before each step: a requested stop ends the loop with
 * the state of the last finished step, and onStop runs instead of onEnd.
 */
export async function trainLoop(trainer: Trainer, data: TrainData | TrainSource, tc: TrainSpec, state: TrainingState, callbacks: TrainCallback[], stop?: StopRequest): Promise<LoopResult> {
  const source = 'layout' in data ? data : memorySource(data);
  const total = sourceSteps(source, tc);
  const warmup = Math.round(total * tc.warmup_ratio);
  const t0 = performance.now();
  const startSentences = state.sentencesSeen;
  for (const c of callbacks) await c.onStart?.(state);
  const stopped = () => !!stop?.requested;
  while (!stopped() && state.epoch < tc.epochs && state.step < total) {
    const epoch = new EpochBatches(source, tc.batch_size, state.epochRngState, tc.bucketed);
    state.rngState = epoch.plan.rngEnd;
    while (!stopped() && state.batchInEpoch < epoch.count && state.step < total) {
      const micro = Array.from({ length: Math.min(tc.grad_accum, epoch.count - state.batchInEpoch) }, (_, k) => epoch.batch(state.batchInEpoch + k));
      const lr = warmupLinear(state.step, tc.lr, warmup, total);
      const result = await trainer.trainStep(micro, lr);
      state.step++;
      state.batchInEpoch += micro.length;
      state.sentencesSeen += result.sentences;
      const sentencesPerSecond = (state.sentencesSeen - startSentences) / ((performance.now() - t0) / 1000);
      for (const c of callbacks) await c.onStep?.({ step: state.step, totalSteps: total, epoch: state.epoch, lr, result, sentencesPerSecond }, state);
      // Let pending I/O (MLflow requests) progress: tensor ops are synchronous and would starve it.
      await new Promise((r) => setImmediate(r));
    }
    if (state.batchInEpoch >= epoch.count) {
      state.epoch++;
      state.batchInEpoch = 0;
      state.epochRngState = state.rngState;
    }
  }
  const stoppedBy = state.step < total && stop?.requested ? stop.requested : undefined;
  for (const c of callbacks) await (stoppedBy ? c.onStop?.(state) : c.onEnd?.(state));
  const seconds = (performance.now() - t0) / 1000;
  return { state, seconds, sentencesPerSecond: (state.sentencesSeen - startSentences) / seconds, totalSteps: total, stoppedBy };
}

/** Micro-batches in one epoch of `source`: the same every epoch (window sizes do not depend on the shuffle). */
export function sourceBatchesPerEpoch(source: TrainSource, tc: Pick<TrainSpec, 'batch_size' | 'bucketed'>): number {
  return planEpochWindows(source.layout, tc.batch_size, 0, tc.bucketed).totalBatches;
}

/** Optimizer steps of a run on `source`: per-epoch micro-batches grouped by accumulation, capped by max_steps. */
export function sourceSteps(source: TrainSource, tc: Pick<TrainSpec, 'batch_size' | 'bucketed' | 'grad_accum' | 'epochs' | 'max_steps'>): number {
  const perEpoch = Math.ceil(sourceBatchesPerEpoch(source, tc) / tc.grad_accum);
  return Math.min(tc.max_steps ?? Infinity, perEpoch * tc.epochs);
}
