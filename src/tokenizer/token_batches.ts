import type { SentenceTokenizer, TokenizedBatch } from './sentence_tokenizer';

/** One sentence's ids after truncation. */
export interface SentenceTokens {
  ids: number[];
  typeIds: number[];
  truncated: boolean;
}

/** Ids with special tokens, cut to maxLength keeping the final special token (Hugging Face's longest-first truncation for one sequence). */
export function tokenizeSentence(tok: SentenceTokenizer, text: string, maxLength: number): SentenceTokens {
  const e = tok.encode(text);
  if (e.ids.length <= maxLength) return { ids: e.ids, typeIds: e.typeIds, truncated: false };
  const last = e.ids.length - 1;
  return { ids: [...e.ids.slice(0, maxLength - 1), e.ids[last]], typeIds: [...e.typeIds.slice(0, maxLength - 1), e.typeIds[last]], truncated: true };
}

/** Tokenized sentences padded to the longest of them. */
export function padBatch(padId: number, enc: SentenceTokens[]): TokenizedBatch {
  const seqLen = Math.max(1, ...enc.map((e) => e.ids.length));
  const B = enc.length;
  const inputIds = new Int32Array(B * seqLen).fill(padId);
  const attentionMask = new Int32Array(B * seqLen);
  const tokenTypeIds = new Int32Array(B * seqLen);
  enc.forEach((e, b) => {
    inputIds.set(e.ids, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + e.ids.length);
    tokenTypeIds.set(e.typeIds, b * seqLen);
  });
  return { batch: B, seqLen, inputIds, attentionMask, tokenTypeIds, lengths: enc.map((e) => e.ids.length), truncated: enc.filter((e) => e.truncated).length };
}

/**
 * The batches a set of sentences is encoded in: sorted by token count
 * (longest first), ties broken by the text itself, then cut every
 * `batchSize`. The plan depends on the set only, not on its order, so a
 * sentence meets the same batch mates (and the same padded length) wherever
 * it is encoded; native kernels round a row differently with other batch
 * mates. Any union of whole batches of a plan plans to those same batches
 * (each is a run of the total order, and only the last may be short), which
 * lets shards and chunks of a dataset reproduce its single-process rows bit
 * for bit. Returns indices into `texts`.
 */
export function planTokenBatches(lengths: ArrayLike<number>, texts: string[], batchSize: number): number[][] {
  const order = Array.from(texts, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || (texts[a] < texts[b] ? -1 : texts[a] > texts[b] ? 1 : a - b));
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += batchSize) batches.push(order.slice(s, s + batchSize));
  return batches;
}

export interface TokenPlan {
  /** Indices into the input, batch by batch. */
  batches: number[][];
  /** Batch b padded to its longest sentence (built when asked: one batch in memory at a time). */
  padded(b: number): TokenizedBatch;
  /** Real and padded token slots over all batches. */
  tokens: number;
  paddedTokens: number;
}

/** Tokenizes every sentence once and plans its batches by token count (planTokenBatches). */
export function tokenPlan(tok: SentenceTokenizer, texts: string[], maxLength: number, batchSize: number): TokenPlan {
  const enc = texts.map((t) => tokenizeSentence(tok, t, maxLength));
  const lengths = enc.map((e) => e.ids.length);
  const batches = planTokenBatches(lengths, texts, batchSize);
  let tokens = 0;
  let paddedTokens = 0;
  for (const b of batches) {
    let max = 1;
    for (const i of b) (tokens += lengths[i], (max = Math.max(max, lengths[i])));
    paddedTokens += max * b.length;
  }
  return { batches, padded: (b) => padBatch(tok.padId, batches[b].map((i) => enc[i])), tokens, paddedTokens };
}
