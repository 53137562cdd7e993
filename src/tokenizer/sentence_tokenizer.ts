import { padBatch, tokenizeSentence } from './token_batches';

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
  return padBatch(tok.padId, texts.map((t) => tokenizeSentence(tok, t, maxLength)));
}
