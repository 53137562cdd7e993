import * as crypto from 'crypto';

/** Whitespace-trimmed and collapsed, NFC: differences BERT tokenizers ignore must not split a cache key. */
export function normalizeSentence(s: string): string {
  return s.normalize('NFC').trim().replace(/\s+/gu, ' ');
}

/** 128-bit key of a normalised sentence, hex. */
export function sentenceKey(s: string): string {
  return crypto.createHash('sha256').update(normalizeSentence(s)).digest('hex').slice(0, 32);
}
