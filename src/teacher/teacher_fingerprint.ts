import * as crypto from 'crypto';
import { hubOrigin } from '../hub/hub_cache';
import { modelFingerprint } from '../model/model_fingerprint';
import { SentenceModel } from '../model/sentence_model';

/**
 * Identity of a teacher's sentence embeddings, which names its cache folder:
 * the fingerprint of the weights it holds, pooling, normalisation, max length,
 * tokenizer and encoder config (see modelFingerprint). Any change gives a new
 * fingerprint, so cached rows of another teacher or max length are never reused.
 * A teacher loaded from the Hub adds its repo and resolved commit, so the
 * cache's meta says which revision its rows came from; a local folder's
 * fingerprint is unchanged (existing caches stay valid).
 */
export function teacherFingerprint(model: SentenceModel): { fingerprint: string; parts: Record<string, unknown> } {
  const base = modelFingerprint(model);
  const hub = hubOrigin(model.dir);
  if (!hub) return base;
  const parts = { ...base.parts, hub };
  return { fingerprint: crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16), parts };
}
