import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { SentenceModel } from '../model/sentence_model';
import { planTokenBatches, tokenizeSentence } from '../tokenizer/token_batches';
import { TeacherCache } from './teacher_cache';

/** Default teacher.batch_size where none is given (as encodeSentences). */
export const TEACHER_BATCH = 32;

/**
 * The batches in which the teacher computes a set of distinct sentences:
 * planTokenBatches over their teacher token counts. Every process that
 * computes rows of this set (cache-teacher whole or as shard i/N, the
 * write shards of a concurrent fill) takes whole batches of this one plan,
 * so a row's bits do not depend on how the work was split: tfjs-node's
 * and onnxruntime's CPU kernels round a row differently with other batch
 * mates or another padded length.
 */
export interface TeacherPlan {
  /** Distinct normalised sentences, in first-seen order, and their keys. */
  texts: string[];
  keys: string[];
  /** Indices into texts, batch by batch. */
  batches: number[][];
  batchSize: number;
}

/** Distinct normalised sentences of `sentences` and their keys, in first-seen order. */
export function distinctSentences(sentences: string[]): { texts: string[]; keys: string[] } {
  const seen = new Set<string>();
  const texts: string[] = [];
  const keys: string[] = [];
  for (const s of sentences) {
    const k = sentenceKey(s);
    if (seen.has(k)) continue;
    seen.add(k);
    keys.push(k);
    texts.push(normalizeSentence(s));
  }
  return { texts, keys };
}

/** Tokenizes every distinct sentence once (only its length is kept) and plans the batches. */
export function teacherPlan(model: SentenceModel, sentences: string[], batchSize = TEACHER_BATCH): TeacherPlan {
  const { texts, keys } = distinctSentences(sentences);
  const lengths = new Int32Array(texts.length);
  texts.forEach((t, i) => (lengths[i] = tokenizeSentence(model.tokenizer, t, model.maxSeqLength).ids.length));
  return { texts, keys, batches: planTokenBatches(lengths, texts, batchSize), batchSize };
}

/** Batches (indices into plan.batches) holding a sentence the cache lacks. */
export function missingBatches(plan: TeacherPlan, cache: TeacherCache, among: Iterable<number> = plan.batches.keys()): number[] {
  return [...among].filter((b) => plan.batches[b].some((i) => !cache.has(plan.keys[i])));
}
