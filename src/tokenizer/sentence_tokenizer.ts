/** What the encoder needs from any tokenizer: ids with special tokens, no truncation. */
export interface SentenceTokenizer {
  /** Where the vocabulary came from: `tokenizer.json` or `vocab.txt`. */
  readonly source: string;
  readonly padId: number;
  readonly vocabSize: number;
  /** Token ids with [CLS]/[SEP] (or the model's template) and type ids. */
  encode(text: string): { ids: number[]; typeIds: number[] };
  /** Stable identity of the vocabulary and normalisation, for caches and compatibility checks. */
  fingerprint(): string;
}

export interface TokenizedBatch {
  batch: number;
  seqLen: number;
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  /** Unpadded lengths after truncation. */
  lengths: number[];
  /** Sentences that were longer than maxLength and cut. */
  truncated: number;
}

/**
 * Tokenizes, truncates to maxLength keeping the final special token (what
 * Hugging Face's longest-first truncation yields for one sequence), and pads
 * to the longest sentence of the batch.
 */
export function tokenizeBatch(tok: SentenceTokenizer, texts: string[], maxLength: number): TokenizedBatch {
  let truncated = 0;
  const enc = texts.map((t) => {
    const e = tok.encode(t);
    if (e.ids.length > maxLength) {
      truncated++;
      const last = e.ids.length - 1;
      return { ids: [...e.ids.slice(0, maxLength - 1), e.ids[last]], typeIds: [...e.typeIds.slice(0, maxLength - 1), e.typeIds[last]] };
    }
    return e;
  });
  const seqLen = Math.max(1, ...enc.map((e) => e.ids.length));
  const B = texts.length;
  const inputIds = new Int32Array(B * seqLen).fill(tok.padId);
  const attentionMask = new Int32Array(B * seqLen);
  const tokenTypeIds = new Int32Array(B * seqLen);
  enc.forEach((e, b) => {
    inputIds.set(e.ids, b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + e.ids.length);
    tokenTypeIds.set(e.typeIds, b * seqLen);
  });
  return { batch: B, seqLen, inputIds, attentionMask, tokenTypeIds, lengths: enc.map((e) => e.ids.length), truncated };
}
