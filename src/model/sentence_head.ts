import * as tf from '../backend/tf';
import { denseForward } from './dense';
import { l2Normalize, pool } from './pooling';
import type { SentenceModel } from './sentence_model';

/**
 * The modules after the encoder, in sentence-transformers' order: pooling,
 * each Dense, then Normalize. `pooled` is the embedding before normalisation.
 */
export function sentenceHead(model: SentenceModel, tokens: tf.Tensor3D, mask: tf.Tensor2D): { pooled: tf.Tensor2D; embedding: tf.Tensor2D } {
  return tf.tidy(() => {
    let pooled = pool(model.pooling, tokens, mask);
    model.dense.forEach((d, i) => (pooled = denseForward(d, model.weights, i, pooled)));
    return { pooled, embedding: model.normalize ? l2Normalize(pooled) : pooled };
  });
}

/** Width of the sentence embedding: the last Dense's output, else the pooled width. */
export function headDim(model: Pick<SentenceModel, 'pooling' | 'dense'>): number {
  const last = model.dense[model.dense.length - 1];
  return last ? last.outFeatures : model.pooling.dimension * model.pooling.modes.length;
}
