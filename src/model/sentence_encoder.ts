import * as tf from '../backend/tf';
import { SentenceModel } from './sentence_model';
import { bertForward } from './bert_encoder';
import { headDim, sentenceHead } from './sentence_head';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { tokenPlan } from '../tokenizer/token_batches';

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
 * Encodes sentences in the batches tokenPlan gives (tokenized once, sorted by
 * token count, so little compute goes to padding, and each sentence gets the
 * same batch mates in any order or chunking of its set), then writes rows
 * back in input order.
 */
export async function encodeSentences(model: SentenceModel, sentences: string[], opts: EncodeOptions = {}): Promise<EncodeResult> {
  const dim = embeddingDim(model);
  const plan = tokenPlan(model.tokenizer, sentences, model.maxSeqLength, opts.batchSize ?? 32);
  const embeddings = new Float32Array(sentences.length * dim);
  let truncated = 0;
  let done = 0;
  for (let b = 0; b < plan.batches.length; b++) {
    if (opts.signal) {
      await new Promise((r) => setImmediate(r));
      opts.signal.throwIfAborted();
    }
    const idx = plan.batches[b];
    const batch = plan.padded(b);
    truncated += batch.truncated;
    const emb = embedBatch(model, batch);
    const rows = (await emb.data()) as Float32Array;
    emb.dispose();
    model.stats.sentencesEncoded += idx.length;
    idx.forEach((orig, r) => embeddings.set(rows.subarray(r * dim, (r + 1) * dim), orig * dim));
    done += idx.length;
    opts.onProgress?.(done, sentences.length);
  }
  return { embeddings, dim, count: sentences.length, truncated, tokens: plan.tokens, paddedTokens: plan.paddedTokens };
}
