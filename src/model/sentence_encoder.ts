import * as tf from '../backend/tf';
import { SentenceModel } from './sentence_model';
import { bertForward } from './bert_encoder';
import { headDim, sentenceHead } from './sentence_head';
import { TokenizedBatch, tokenizeBatch } from '../tokenizer/sentence_tokenizer';

/** Sentence embeddings [B, D] for one tokenized batch; the caller owns the result. */
export function embedBatch(model: SentenceModel, batch: TokenizedBatch): tf.Tensor2D {
  return tf.tidy(() => {
    const shape: [number, number] = [batch.batch, batch.seqLen];
    const mask = tf.tensor2d(batch.attentionMask, shape, 'int32');
    const out = bertForward(model.config, model.weights, {
      inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
      attentionMask: mask,
      tokenTypeIds: tf.tensor2d(batch.tokenTypeIds, shape, 'int32'),
    });
    return sentenceHead(model, out.lastHiddenState, mask).embedding;
  });
}

export interface EncodeOptions {
  batchSize?: number;
  /** Called after each batch with the number of sentences done. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Checked before each batch, after yielding to the event loop (tensor ops
   * are synchronous: without the yield a signal handler could not run until
   * the whole input is encoded); an aborted signal throws its reason.
   */
  signal?: AbortSignal;
}

export interface EncodeResult {
  /** Row-major [count, dim], in input order. */
  embeddings: Float32Array;
  dim: number;
  count: number;
  truncated: number;
  tokens: number;
  paddedTokens: number;
}

export function embeddingDim(model: SentenceModel): number {
  return headDim(model);
}

/**
 * Encodes sentences in batches of similar length (sorted by character
 * length, a cheap proxy for token length) so little compute goes to padding,
 * then writes rows back in input order.
 */
export async function encodeSentences(model: SentenceModel, sentences: string[], opts: EncodeOptions = {}): Promise<EncodeResult> {
  const batchSize = opts.batchSize ?? 32;
  const dim = embeddingDim(model);
  const order = sentences.map((_, i) => i).sort((a, b) => sentences[b].length - sentences[a].length);
  const embeddings = new Float32Array(sentences.length * dim);
  let truncated = 0;
  let tokens = 0;
  let paddedTokens = 0;
  for (let start = 0; start < order.length; start += batchSize) {
    if (opts.signal) {
      await new Promise((r) => setImmediate(r));
      opts.signal.throwIfAborted();
    }
    const idx = order.slice(start, start + batchSize);
    const batch = tokenizeBatch(model.tokenizer, idx.map((i) => sentences[i]), model.maxSeqLength);
    truncated += batch.truncated;
    tokens += batch.lengths.reduce((a, b) => a + b, 0);
    paddedTokens += batch.batch * batch.seqLen;
    const emb = embedBatch(model, batch);
    const rows = (await emb.data()) as Float32Array;
    emb.dispose();
    model.stats.sentencesEncoded += idx.length;
    idx.forEach((orig, r) => embeddings.set(rows.subarray(r * dim, (r + 1) * dim), orig * dim));
    opts.onProgress?.(Math.min(start + batchSize, order.length), order.length);
  }
  return { embeddings, dim, count: sentences.length, truncated, tokens, paddedTokens };
}
