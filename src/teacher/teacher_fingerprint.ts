import { modelFingerprint } from '../model/model_fingerprint';
import { SentenceModel } from '../model/sentence_model';

/**
 * Identity of a teacher's sentence embeddings, which names its cache folder:
 * the fingerprint of the weights it holds, pooling, normalisation, max length,
 * tokenizer and encoder config (see modelFingerprint). Any change gives a new
 * fingerprint, so cached rows of another teacher or max length are never reused.
 */
export function teacherFingerprint(model: SentenceModel): { fingerprint: string; parts: Record<string, unknown> } {
  return modelFingerprint(model);
}
