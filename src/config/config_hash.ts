import * as crypto from 'crypto';
import { ExperimentConfig } from './experiment_config';

/**
 * The part of a config that determines the training trajectory (the
 * sequence of student weights). `--resume` refuses a run whose hash differs,
 * so only keys that change what is computed belong here; keys that change
 * where or how often things are written do not.
 *
 * Kept, and why:
 * - teacher.model: the targets every loss is computed against.
 * - student.*: which layers/width the student starts from and its max length
 *   (truncation changes every embedding).
 * - losses (names, weights, options): the objective and its gradients.
 * - data.*: which rows, in which order (limit, dedupe, filters, the share
 *   dev_ratio takes out of train). The dev set does not move the weights, but
 *   the saved state's best score was measured on it: new evaluations after a
 *   resume must be comparable with it (the same goes for a train key that
 *   picks the metric for "best").
 * - train.* except log_every / eval_every / signal_checkpoint: epochs and max_steps set the LR
 *   schedule's length, the rest are optimizer and batching settings. A new
 *   train key is hashed by default: refusing a resume is safer than silently
 *   continuing under different settings.
 * - seed: initialisation of fresh students and projection heads, shuffling.
 *
 * Left out, and why:
 * - name, output_dir: labels and locations only (resuming a moved run is fine).
 * - train.log_every, train.eval_every: how often metrics are printed and the
 *   dev set is scored; neither touches weights, optimizer state or the RNG.
 * - train.signal_checkpoint: whether a SIGINT/SIGTERM saves a checkpoint
 *   before the run stops; a resumed run continues the same trajectory either
 *   way (and runs from before the key existed keep their hash).
 * - checkpoint.*: how often and how many states are written.
 * - teacher.cache, teacher.cache_dir, teacher.batch_size: whether and where
 *   the teacher's embeddings are stored and how many sentences it encodes at
 *   once; the cache is keyed by the teacher's fingerprint, so the targets are
 *   the same rows either way.
 * - teacher.runtime: tfjs and onnx give the same teacher embeddings within
 *   1e-5 (a test holds them to it), and the cache serves either.
 * - tracking.*: where metrics are reported.
 */
export function configHash(cfg: ExperimentConfig): string {
  const { log_every: _l, eval_every: _e, signal_checkpoint: _s, ...train } = cfg.train;
  const trajectory = {
    // pooling changes the targets (absent when unset, so older runs keep their hash).
    teacher: { model: cfg.teacher.model, pooling: cfg.teacher.pooling },
    student: cfg.student,
    losses: cfg.losses,
    data: cfg.data,
    train,
    seed: cfg.seed,
  };
  return crypto.createHash('sha256').update(stableJson(trajectory)).digest('hex').slice(0, 16);
}

/** JSON with object keys sorted, so the hash does not depend on the order keys were written in. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
