import * as path from 'path';
import { BertWeights } from './bert_weights';
import { DenseConfig, denseWeightName } from './dense';
import { PoolingConfig, POOLING_MODES, PoolingMode } from './pooling';
import { DistillError } from '../util/errors';

/**
 * What a caller may put in place of a folder's own pooling: one
 * sentence-transformers mode, or `pooler`, BERT's pooler (dense + tanh on
 * the first token) as SimCSE's `cls` pooling and transformers'
 * pooler_output use it.
 */
export const POOLING_OVERRIDES = ['pooler', ...POOLING_MODES] as const;
export type PoolingOverride = (typeof POOLING_OVERRIDES)[number];

/** The pooler's tensors, by canonical name. */
export const POOLER_TENSORS: readonly string[] = ['pooler.dense.weight', 'pooler.dense.bias'];

interface Head {
  pooling: PoolingConfig;
  dense: DenseConfig[];
}

function moveDense(weights: BertWeights, dense: DenseConfig[]): void {
  // From the last down, so module i+1's names are free when module i moves there.
  for (let i = dense.length - 1; i >= 0; i--) {
    for (const part of ['weight', 'bias'] as const) {
      const t = weights.get(denseWeightName(i, part));
      if (!t) continue;
      weights.delete(denseWeightName(i, part));
      weights.set(denseWeightName(i + 1, part), t);
    }
  }
}

/**
 * The pooler is not a pooling mode sentence-transformers knows, so it is
 * written as what it computes: CLS pooling, then a Dense module (Tanh)
 * holding the pooler's weights, in front of the folder's own Dense modules.
 * Saving, training, ONNX export and sentence-transformers then need nothing
 * new. The pooler tensors stay in the encoder, so a saved model still loads
 * in transformers with its pooler.
 */
function poolerHead(head: Head, weights: BertWeights, hidden: number, dir: string, shownNames: string[]): Head {
  const [w, b] = POOLER_TENSORS.map((n) => weights.get(n));
  if (!w || !b) {
    throw new DistillError(`pooling "pooler" needs the pooler tensors ${shownNames.map((n) => `"${n}"`).join(' and ')}, which model.safetensors does not hold; choose one of ${POOLING_MODES.join(', ')} instead`, path.join(dir, 'model.safetensors'));
  }
  moveDense(weights, head.dense);
  weights.set(denseWeightName(0, 'weight'), w.clone());
  weights.set(denseWeightName(0, 'bias'), b.clone());
  const pooler: DenseConfig = { inFeatures: hidden, outFeatures: hidden, bias: true, activation: 'Tanh', activationRef: 'torch.nn.modules.activation.Tanh' };
  return { pooling: { modes: ['cls'], dimension: hidden }, dense: [pooler, ...head.dense] };
}

/**
 * The pooling and Dense modules a model gets with `choice` instead of its
 * folder's pooling; the weights map gains the pooler's Dense module (and the
 * folder's Dense modules move one index up) in place. `shownNames`: the
 * pooler tensors as the family's checkpoint names them, for the error.
 */
export function overridePooling(head: Head, choice: PoolingOverride, weights: BertWeights, hidden: number, dir: string, shownNames: string[]): Head {
  const out = choice === 'pooler'
    ? poolerHead(head, weights, hidden, dir, shownNames)
    : { pooling: { ...head.pooling, modes: [choice as PoolingMode], dimension: hidden }, dense: head.dense };
  const first = out.dense[choice === 'pooler' ? 1 : 0];
  if (first && first.inFeatures !== hidden) {
    throw new DistillError(`pooling "${choice}" gives ${hidden}-wide embeddings but the folder's first Dense module takes ${first.inFeatures}`, dir);
  }
  return out;
}

