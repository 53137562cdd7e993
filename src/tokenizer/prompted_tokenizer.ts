import * as crypto from 'crypto';
import { SentenceTokenizer } from './sentence_tokenizer';

/**
 * A tokenizer that prefixes every text with a prompt, as sentence-transformers
 * does with a model's `default_prompt_name` (`prompt + sentence`, then
 * tokenized). Every path that tokenizes through the model (encode, training,
 * ONNX encode) so sees the same input as sentence-transformers; the prompt is
 * part of the fingerprint, so caches of the unprompted model are not reused.
 */
export function promptedTokenizer(inner: SentenceTokenizer, prompt: string): SentenceTokenizer {
  if (prompt === '') return inner;
  return {
    source: inner.source,
    padId: inner.padId,
    vocabSize: inner.vocabSize,
    encode: (text) => inner.encode(prompt + text),
    fingerprint: () => crypto.createHash('sha256').update(inner.fingerprint()).update('\0prompt\0' + prompt).digest('hex').slice(0, 16),
  };
}
