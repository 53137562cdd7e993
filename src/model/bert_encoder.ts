import * as tf from '../backend/tf';
import { EncoderConfig } from './encoder_config';
import { BertWeights, layerPrefix } from './bert_weights';
import { layerNorm } from './layer_norm';
import { getActivation } from './activations';
import { relativePositionBias } from './relative_position';
import { linear } from './linear';

export interface BertInputs {
  /** [B, L] int32 token ids */
  inputIds: tf.Tensor2D;
  /** [B, L] 1 for real tokens, 0 for padding */
  attentionMask: tf.Tensor2D;
  /** [B, L] int32; zeros when absent */
  tokenTypeIds?: tf.Tensor2D;
}

export interface BertForwardOptions {
  /** Keep h^(0..N): the embedding output and every layer's output. */
  hiddenStates?: boolean;
  /** Keep each layer's attention probabilities [B, heads, L, L]. */
  attentions?: boolean;
  /** Keep each layer's pre-softmax scores (for TinyBERT-style losses). */
  attentionScores?: boolean;
}

export interface BertOutputs {
  /** [B, L, H] output of the last layer */
  lastHiddenState: tf.Tensor3D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
  attentionScores?: tf.Tensor4D[];
}

function w(weights: BertWeights, name: string): tf.Tensor {
  const t = weights.get(name);
  if (!t) throw new Error(`BERT weight "${name}" is missing`);
  return t;
}

function dense(x: tf.Tensor2D, weights: BertWeights, name: string): tf.Tensor2D {
  return linear(x, w(weights, `${name}.weight`) as tf.Tensor2D, w(weights, `${name}.bias`) as tf.Tensor1D);
}

/**
 * Position ids [B, L] for families that count from padding_idx + 1 over real
 * tokens and put padding at padding_idx (transformers'
 * create_position_ids_from_input_ids, with the mask standing for input_ids != pad).
 */
export function positionsAfterPadding(mask: tf.Tensor2D, padIdx: number): tf.Tensor2D {
  return tf.tidy(() => tf.cumsum(mask, 1).mul(mask).add(tf.scalar(padIdx, 'int32')) as tf.Tensor2D);
}

/** Word + position (+ token-type) embeddings, then LayerNorm: h^(0). */
export function bertEmbeddings(cfg: EncoderConfig, weights: BertWeights, inputs: BertInputs): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, L] = inputs.inputIds.shape;
    const H = cfg.hiddenSize;
    const words = tf.gather(w(weights, 'embeddings.word_embeddings.weight'), inputs.inputIds.flatten()).reshape([B, L, H]);
    const table = w(weights, 'embeddings.position_embeddings.weight');
    const pos = cfg.positionIds === 'sequential'
      ? tf.slice(table, [0, 0], [L, H])
      : tf.gather(table, positionsAfterPadding(inputs.attentionMask, cfg.padTokenId).flatten()).reshape([B, L, H]);
    let sum = words.add(pos);
    if (cfg.typeVocabSize > 0) {
      const typeTable = w(weights, 'embeddings.token_type_embeddings.weight');
      // One-row tables (RoBERTa) always add row 0, whatever ids the tokenizer made.
      sum = sum.add(inputs.tokenTypeIds && cfg.typeVocabSize > 1
        ? tf.gather(typeTable, inputs.tokenTypeIds.flatten()).reshape([B, L, H])
        : tf.slice(typeTable, [0, 0], [1, H]));
    }
    return layerNorm(sum, w(weights, 'embeddings.LayerNorm.weight'), w(weights, 'embeddings.LayerNorm.bias'), cfg.layerNormEps) as tf.Tensor3D;
  });
}

/** Additive mask [B, 1, 1, L]: 0 for tokens, a large negative number for padding. */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, L] = mask.shape;
    return tf.sub(1, mask.cast('float32')).mul(-1e9).reshape([B, 1, 1, L]) as tf.Tensor4D;
  });
}

/** What every layer adds to its scores: the padding mask, plus MPNet's relative position bias. */
function scoreBias(cfg: EncoderConfig, weights: BertWeights, mask: tf.Tensor2D): tf.Tensor4D {
  if (!cfg.relativeAttention) return attentionBias(mask);
  return tf.tidy(() => attentionBias(mask).add(relativePositionBias(cfg, weights, mask.shape[1])) as tf.Tensor4D);
}

interface LayerResult {
  out: tf.Tensor3D;
  probs?: tf.Tensor4D;
  scores?: tf.Tensor4D;
}

/** One post-LN transformer layer: self-attention, residual, LN, FFN, residual, LN. */
export function bertLayer(cfg: EncoderConfig, weights: BertWeights, l: number, x: tf.Tensor3D, bias: tf.Tensor4D, keep: BertForwardOptions): LayerResult {
  const p = layerPrefix(l);
  const act = getActivation(cfg.hiddenAct);
  let probsOut: tf.Tensor4D | undefined;
  let scoresOut: tf.Tensor4D | undefined;
  const out = tf.tidy(() => {
    const [B, L, H] = x.shape;
    const nh = cfg.numAttentionHeads;
    const dh = H / nh;
    const x2 = x.reshape([B * L, H]) as tf.Tensor2D;
    // One [H, 3H] matmul and one transpose for q, k and v instead of three each:
    // on short sentences the per-op cost, not the FLOPs, dominates.
    // The 1/sqrt(dh) score scale is folded into the query weights and bias: an op on
    // H*H elements instead of one on every query (and nothing activation-sized kept for it).
    const scale = (n: string, t: tf.Tensor) => (n === 'query' ? t.mul(1 / Math.sqrt(dh)) : t);
    const qkvW = tf.concat(['query', 'key', 'value'].map((n) => scale(n, w(weights, `${p}attention.self.${n}.weight`))), 1) as tf.Tensor2D;
    const qkvB = tf.concat(['query', 'key', 'value'].map((n) => scale(n, w(weights, `${p}attention.self.${n}.bias`))), 0) as tf.Tensor1D;
    const qkv = linear(x2, qkvW, qkvB).reshape([B, L, 3, nh, dh]).transpose([2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(qkv) as tf.Tensor4D[];
    const scores = tf.matMul(q, k, false, true).add(bias) as tf.Tensor4D;
    const probs = tf.softmax(scores, -1) as tf.Tensor4D;
    if (keep.attentionScores) scoresOut = tf.keep(scores);
    if (keep.attentions) probsOut = tf.keep(probs);
    const ctx = tf.matMul(probs, v).transpose([0, 2, 1, 3]).reshape([B * L, H]) as tf.Tensor2D;
    const attnOut = dense(ctx, weights, `${p}attention.output.dense`);
    const h1 = layerNorm(attnOut.add(x2), w(weights, `${p}attention.output.LayerNorm.weight`), w(weights, `${p}attention.output.LayerNorm.bias`), cfg.layerNormEps) as tf.Tensor2D;
    const inter = act(dense(h1, weights, `${p}intermediate.dense`)) as tf.Tensor2D;
    const ffn = dense(inter, weights, `${p}output.dense`);
    const h2 = layerNorm(ffn.add(h1), w(weights, `${p}output.LayerNorm.weight`), w(weights, `${p}output.LayerNorm.bias`), cfg.layerNormEps);
    return h2.reshape([B, L, H]) as tf.Tensor3D;
  });
  return { out, probs: probsOut, scores: scoresOut };
}

/**
 * The full encoder. Intermediate tensors the caller did not ask for are freed
 * as soon as the next layer has consumed them, so memory stays at one layer's
 * activations in inference.
 */
export function bertForward(cfg: EncoderConfig, weights: BertWeights, inputs: BertInputs, keep: BertForwardOptions = {}): BertOutputs {
  const bias = scoreBias(cfg, weights, inputs.attentionMask);
  let h = bertEmbeddings(cfg, weights, inputs);
  const hiddenStates: tf.Tensor3D[] = keep.hiddenStates ? [h] : [];
  const attentions: tf.Tensor4D[] = [];
  const attentionScores: tf.Tensor4D[] = [];
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const r = bertLayer(cfg, weights, l, h, bias, keep);
    if (!keep.hiddenStates) h.dispose();
    h = r.out;
    if (keep.hiddenStates) hiddenStates.push(h);
    if (r.probs) attentions.push(r.probs);
    if (r.scores) attentionScores.push(r.scores);
  }
  bias.dispose();
  return {
    lastHiddenState: h,
    hiddenStates: keep.hiddenStates ? hiddenStates : undefined,
    attentions: keep.attentions ? attentions : undefined,
    attentionScores: keep.attentionScores ? attentionScores : undefined,
  };
}
