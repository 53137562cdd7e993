import { DistillError } from '../util/errors';
import { LossContext } from './distill_loss';

/**
 * Pairs of (student hidden-state index, teacher hidden-state index), where
 * index 0 is the embedding output and i the output of layer i-1. By default
 * every student layer maps to the teacher layer it was copied from, and the
 * embeddings to the embeddings. A given map is checked against both models
 * here, when they are known (its shape was checked when the config was read).
 */
export function resolveLayerMap(raw: Array<[number, number]> | undefined, ctx: LossContext, includeEmbeddings: boolean): Array<[number, number]> {
  const S = ctx.studentLayers!;
  const T = ctx.teacherLayers!;
  if (raw === undefined) {
    const kept = ctx.keptLayers ?? Array.from({ length: S }, (_, i) => Math.round(((i + 1) * T) / S) - 1);
    const pairs: Array<[number, number]> = kept.map((t, s) => [s + 1, t + 1]);
    return includeEmbeddings ? [[0, 0], ...pairs] : pairs;
  }
  // The shape (non-empty list of non-negative integer pairs) was checked with the options; the models are checked here.
  for (const [s, t] of raw) {
    if (s < 0 || s > S) throw new DistillError(`layer_map pair [${s}, ${t}]: student hidden state ${s} does not exist (0..${S}; 0 = embeddings)`, ctx.where);
    if (t < 0 || t > T) throw new DistillError(`layer_map pair [${s}, ${t}]: teacher hidden state ${t} does not exist (0..${T}; 0 = embeddings); the map does not fit the teacher`, ctx.where);
  }
  return raw;
}
