import { SentenceModel } from '../model/sentence_model';
import { EncodeOptions, encodeSentences } from '../model/sentence_encoder';
import { sentenceKey } from '../data/sentence_key';
import { TeacherCache } from './teacher_cache';
import { DistillError } from '../util/errors';
import { missingBatches, TeacherPlan, teacherPlan } from './teacher_plan';

export interface TeacherLookup {
  /** Row i is the teacher embedding of sentences[i]. */
  embeddings: Float32Array;
  computed: number;
  cached: number;
}

/**
 * What computes the teacher's embeddings of sentences (rows in input order):
 * by default the model on tfjs; pipelines/teacher_runtime.ts can give the
 * same model exported to ONNX. Either counts its sentences in model.stats,
 * and batches as tokenPlan does (tokenizer/token_batches.ts), which
 * fillBatches relies on for rows that do not depend on how work was split.
 */
export type TeacherEncode = (sentences: string[], opts: EncodeOptions) => Promise<{ embeddings: Float32Array }>;

export function tfjsTeacherEncode(model: SentenceModel): TeacherEncode {
  return (sentences, opts) => encodeSentences(model, sentences, opts);
}

export interface FillOptions {
  batchSize?: number;
  /** Sentences per encode call (whole batches, rounded up): each call's rows are added to the cache before the next starts. */
  chunk?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  encode?: TeacherEncode;
}

/**
 * Computes whole batches of a plan, a chunk of batches per encode call, and
 * adds to the cache the rows it still lacks (a batch's cached rows are
 * computed again, as batch mates, but not written twice). The encoder plans
 * the union of whole batches back into these very batches
 * (planTokenBatches), so each row has its plan's batch mates. An aborted
 * `signal` stops between batches: finished chunks stay cached, the current
 * one is dropped. Returns the rows added.
 */
export async function fillBatches(model: SentenceModel, cache: TeacherCache, plan: TeacherPlan, which: number[], opts: FillOptions = {}): Promise<number> {
  const encode = opts.encode ?? tfjsTeacherEncode(model);
  const perChunk = Math.max(1, Math.ceil((opts.chunk ?? 4096) / plan.batchSize));
  const total = which.reduce((n, b) => n + plan.batches[b].length, 0);
  let done = 0;
  let added = 0;
  for (let c = 0; c < which.length; c += perChunk) {
    const idx = which.slice(c, c + perChunk).flatMap((b) => plan.batches[b]);
    const offset = done;
    const r = await encode(idx.map((i) => plan.texts[i]), { batchSize: plan.batchSize, signal: opts.signal, onProgress: (d) => opts.onProgress?.(offset + d, total) });
    const fresh = idx.map((i, j) => [i, j]).filter(([i]) => !cache.has(plan.keys[i]));
    const rows = new Float32Array(fresh.length * cache.dim);
    fresh.forEach(([, j], n) => rows.set(r.embeddings.subarray(j * cache.dim, (j + 1) * cache.dim), n * cache.dim));
    cache.add(fresh.map(([i]) => plan.keys[i]), rows);
    added += fresh.length;
    done += idx.length;
  }
  return added;
}

/**
 * Teacher embeddings for `sentences`: cached rows are read, the rest computed
 * once (on normalised text, as keyed) in the batches of the teacher plan of
 * this set (teacher_plan.ts), appended to the cache in chunks so a long run
 * that dies keeps what it finished. Nothing is tokenized when every row is
 * cached.
 */
export async function teacherEmbeddings(model: SentenceModel, cache: TeacherCache, sentences: string[], opts: FillOptions & { again?: boolean } = {}): Promise<TeacherLookup> {
  const keys = sentences.map(sentenceKey);
  let computed = 0;
  if (keys.some((k) => !cache.has(k))) {
    const plan = teacherPlan(model, sentences, opts.batchSize);
    computed = await fillBatches(model, cache, plan, missingBatches(plan, cache), opts);
  }
  const out = new Float32Array(sentences.length * cache.dim);
  if (cache.readMany(keys, out) > 0) {
    // Rows lost since they were looked up: a part whose rows failed their crc32 was moved aside (named in a warning); computed once more.
    if (opts.again) throw new DistillError(`${cache.readMany(keys, out)} teacher rows are still missing or corrupt after recomputing them`, cache.dir);
    const again = await teacherEmbeddings(model, cache, sentences, { ...opts, again: true });
    return { ...again, computed: computed + again.computed };
  }
  return { embeddings: out, computed, cached: sentences.length - computed };
}
