import { SentenceModel } from '../model/sentence_model';
import { EncodeOptions, encodeSentences } from '../model/sentence_encoder';
import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { TeacherCache } from './teacher_cache';

export interface TeacherLookup {
  /** Row i is the teacher embedding of sentences[i]. */
  embeddings: Float32Array;
  computed: number;
  cached: number;
}

/**
 * What computes the teacher's embeddings of sentences (rows in input order):
 * by default the model on tfjs; pipelines/teacher_runtime.ts can give the
 * same model exported to ONNX. Either counts its sentences in model.stats.
 */
export type TeacherEncode = (sentences: string[], opts: EncodeOptions) => Promise<{ embeddings: Float32Array }>;

export function tfjsTeacherEncode(model: SentenceModel): TeacherEncode {
  return (sentences, opts) => encodeSentences(model, sentences, opts);
}

/**
 * Teacher embeddings for `sentences`: cached rows are read, the rest computed
 * once (on normalised text, as keyed), appended to the cache in chunks so a
 * long run that dies keeps what it finished. An aborted `signal` stops
 * between batches: finished chunks stay cached, the current one is dropped.
 */
export async function teacherEmbeddings(
  model: SentenceModel, cache: TeacherCache, sentences: string[],
  opts: { batchSize?: number; chunk?: number; onProgress?: (done: number, total: number) => void; signal?: AbortSignal; encode?: TeacherEncode } = {},
): Promise<TeacherLookup> {
  const dim = cache.dim;
  const out = new Float32Array(sentences.length * dim);
  const keys = sentences.map(sentenceKey);
  const missing = new Map<string, string>();
  keys.forEach((k, i) => {
    if (!cache.has(k) && !missing.has(k)) missing.set(k, normalizeSentence(sentences[i]));
  });
  const todo = [...missing.entries()];
  const chunk = opts.chunk ?? 4096;
  const encode = opts.encode ?? tfjsTeacherEncode(model);
  for (let s = 0; s < todo.length; s += chunk) {
    const part = todo.slice(s, s + chunk);
    const r = await encode(part.map(([, t]) => t), {
      batchSize: opts.batchSize,
      signal: opts.signal,
      onProgress: (d) => opts.onProgress?.(s + d, todo.length),
    });
    cache.add(part.map(([k]) => k), r.embeddings);
  }
  cache.readMany(keys, out);
  return { embeddings: out, computed: todo.length, cached: sentences.length - todo.length };
}
