import * as tf from '../backend/tf';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { bertForward, BertOutputs } from '../model/bert_encoder';
import { sentenceHead } from '../model/sentence_head';
import { SentenceModel } from '../model/sentence_model';
import { LossNeeds, StudentOutputs } from '../losses/distill_loss';

/** Tensors of one tokenized batch; the caller disposes them. */
export function batchTensors(b: TokenizedBatch) {
  const shape: [number, number] = [b.batch, b.seqLen];
  return {
    inputIds: tf.tensor2d(b.inputIds, shape, 'int32'),
    attentionMask: tf.tensor2d(b.attentionMask, shape, 'int32'),
    tokenTypeIds: tf.tensor2d(b.tokenTypeIds, shape, 'int32'),
  };
}

/** Encoder outputs with exactly what the losses need kept. */
export function encoderForward(model: SentenceModel, inputs: ReturnType<typeof batchTensors>, needs: LossNeeds): BertOutputs {
  return bertForward(model.config, model.weights, inputs, { hiddenStates: needs.hiddenStates, attentions: needs.attentions, attentionScores: needs.attentionScores });
}

/** The student's outputs for the losses: embedding, pooled last layer, and layer-wise tensors when asked. */
export function studentForward(model: SentenceModel, inputs: ReturnType<typeof batchTensors>, needs: LossNeeds, groupSize = 1): StudentOutputs {
  const out = encoderForward(model, inputs, needs);
  const { pooled, embedding } = sentenceHead(model, out.lastHiddenState, inputs.attentionMask);
  return {
    embedding,
    pooled,
    hiddenStates: out.hiddenStates,
    attentions: out.attentions,
    attentionScores: out.attentionScores,
    mask: inputs.attentionMask,
    groupSize,
  };
}
