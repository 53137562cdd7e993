import * as tf from '../backend/tf';
import { TokenizedBatch } from '../data/tokenizer/sentence_tokenizer';
import { bertForward } from '../model/bert_encoder';
import { l2Normalize, pool } from '../model/pooling';
import { SentenceModel } from '../model/sentence_model';
import { StudentOutputs } from './losses/distill_loss';

/** Tensors of one tokenized batch; the caller disposes them. */
export function batchTensors(b: TokenizedBatch) {
  const shape: [number, number] = [b.batch, b.seqLen];
  return {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, shape, 'int32'),
  };
}

/** The student's outputs for the losses: embedding, pooled last layer, and hidden states when asked. */
export function studentForward(model: SentenceModel, inputs: ReturnType<typeof batchTensors>, hiddenStates: boolean): StudentOutputs {
  const out = bertForward(model.config, model.weights, inputs, { hiddenStates });
  const pooled = pool(model.pooling, out.lastHiddenState, inputs.attentionMask);
  return {
    embedding: model.normalize ? l2Normalize(pooled) : pooled,
    pooled,
    hiddenStates: out.hiddenStates,
    mask: inputs.attentionMask,
  };
}
