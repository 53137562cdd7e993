// The losses moved to src/losses. This re-export keeps src/distill/trainer.ts and
// src/pipelines/train_run.ts compiling until they import from '../losses/loss_registry'
// ('../../losses/...' from here); delete this folder then.
export { buildLosses, WeightedLoss } from '../../losses/loss_registry';
