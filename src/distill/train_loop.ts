import { TrainSpec } from '../config/experiment_config';
import { warmupLinear } from './lr_schedule';
import { StopRequest, StopSignalName } from './stop_signal';
import { TrainCallback } from './train_callback';
import { batchSentences, makeBatch, planEpoch, rowLengths, totalSteps, TrainData } from './train_data';
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
 * decay. Resumes from `state` exactly: each epoch's batch plan is rebuilt
 * from the RNG state saved at the epoch's start and the cursor skips what was
 * done. Everything else (metrics, evaluation, checkpoints) is a callback.
 * `stop` is checked before each step: a requested stop ends the loop with
 * the state of the last finished step, and onStop runs instead of onEnd.
 */
export async function trainLoop(trainer: Trainer, data: TrainData, tc: TrainSpec, state: TrainingState, callbacks: TrainCallback[], stop?: StopRequest): Promise<LoopResult> {
  const total = totalSteps(data.rows.length, tc.batch_size, tc.grad_accum, tc.epochs, tc.max_steps);
  const warmup = Math.round(total * tc.warmup_ratio);
  const lengths = rowLengths(data);
  const t0 = performance.now();
  const startSentences = state.sentencesSeen;
  for (const c of callbacks) await c.onStart?.(state);
  const stopped = () => !!stop?.requested;
  while (!stopped() && state.epoch < tc.epochs && state.step < total) {
    const plan = planEpoch(lengths, tc.batch_size, state.epochRngState, tc.bucketed);
    state.rngState = plan.rngState;
    while (!stopped() && state.batchInEpoch < plan.batches.length && state.step < total) {
      const micro = plan.batches.slice(state.batchInEpoch, state.batchInEpoch + tc.grad_accum);
      const lr = warmupLinear(state.step, tc.lr, warmup, total);
      const result = trainer.trainStep(micro.map((rows) => makeBatch(data, batchSentences(data, rows))), lr);
      state.step++;
      state.batchInEpoch += micro.length;
      state.sentencesSeen += result.sentences;
      const sentencesPerSecond = (state.sentencesSeen - startSentences) / ((performance.now() - t0) / 1000);
      for (const c of callbacks) await c.onStep?.({ step: state.step, totalSteps: total, epoch: state.epoch, lr, result, sentencesPerSecond }, state);
      // Let pending I/O (MLflow requests) progress: tensor ops are synchronous and would starve it.
      await new Promise((r) => setImmediate(r));
    }
    if (state.batchInEpoch >= plan.batches.length) {
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
