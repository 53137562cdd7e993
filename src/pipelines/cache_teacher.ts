import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { loadDataset, recordTexts, ReadStats } from '../data/read_dataset';
import { mergeShards, readShard, shardFile, shardOf } from '../teacher/teacher_shards';
import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { TeacherCache } from '../teacher/teacher_cache';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { FileLock } from '../util/file_lock';
import { sharedTeacherEmbeddings } from './shared_teacher_embeddings';
import { embeddingDim } from '../model/sentence_encoder';
import { TeacherEncode } from '../teacher/teacher_embeddings';
import { teacherRuntime } from './teacher_runtime';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { resolveModel } from '../hub/resolve_model';
import { Progress } from '../util/progress';
import { readableSync } from '../backend/webgpu_backend';

export { shardOf };

export interface CacheTeacherOptions {
  /**
   * Compute only shard i of n (by sentence key), into its own file. `task`:
   * the scheduler task this process runs as (scheduler_shard.ts), so a retry
   * on another host takes over the lock its killed earlier attempt left.
   */
  shard?: { index: number; count: number; task?: string };
  /** Check that shards 0..n-1 are all present and complete, then fold them into the cache. */
  merge?: number;
  quiet?: boolean;
  /** Where waiting for, or taking over from, a concurrent writer is reported (default stderr). */
  log?: (line: string) => void;
}

export interface CacheTeacherSummary {
  cacheDir: string;
  fingerprint: string;
  sentences: number;
  cached: number;
  computed: number;
  /** Sentences missing at the start that a concurrent cache-teacher or train computed meanwhile. */
  byOthers?: number;
  seconds: number;
  /** What computed the missing rows (teacher.runtime as resolved); absent when nothing was computed. */
  runtime?: 'tfjs' | 'onnx';
  shard?: string;
  shardFile?: string;
  merged?: number;
  /** --merge: rows the merge added to the cache, and shards a previous merge had folded in already. */
  added?: number;
  alreadyMerged?: number;
  read: ReadStats;
}

export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new DistillError(`--shard "${s}": expected i/N with 0 <= i < N, e.g. 0/4`);
  return { index, count };
}

/** Distinct training sentences (normalised, as keyed) of the config's train set. */
async function trainSentences(cfg: ExperimentConfig): Promise<{ sentences: string[]; read: ReadStats }> {
  const { records, stats } = await loadDataset(cfg.data.train);
  const seen = new Set<string>();
  const sentences: string[] = [];
  for (const r of records) {
    for (const t of recordTexts(r)) {
      const n = normalizeSentence(t);
      if (!seen.has(n)) {
        seen.add(n);
        sentences.push(n);
      }
    }
  }
  return { sentences, read: stats };
}

/** `fp`: the teacher's fingerprint when the caller has it (computed while its weights were readable; see readableSync). */
export function openTeacherCache(cfg: ExperimentConfig, model: SentenceModel, fp = teacherFingerprint(model)): TeacherCache {
  const { fingerprint, parts } = fp;
  return TeacherCache.open(cfg.teacher.cache_dir, fingerprint, embeddingDim(model), { teacher: fs.existsSync(cfg.teacher.model) ? path.resolve(cfg.teacher.model) : cfg.teacher.model, ...parts });
}

/** `distill cache-teacher`: precompute the teacher cache, whole, as one shard of N, or merge N shards. */
export async function cacheTeacher(cfg: ExperimentConfig, opts: CacheTeacherOptions = {}): Promise<CacheTeacherSummary> {
  const t0 = performance.now();
  const { sentences, read } = await trainSentences(cfg);
  const model = loadSentenceModel((await resolveModel(cfg.teacher.model, { where: 'teacher.model', quiet: opts.quiet })).dir, { pooling: cfg.teacher.pooling });
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runtime = teacherRuntime(model, cfg.teacher.runtime, { onnxDir: teacherOnnxDir(cfg), log: opts.quiet ? undefined : log });
  try {
    await readableSync(model.weights.values());
    const cache = openTeacherCache(cfg, model);
    const base = { cacheDir: cache.dir, fingerprint: cache.fingerprint, read };
    const ran = () => (runtime.chosen() ? { runtime: runtime.chosen()! } : {});
    if (opts.merge !== undefined) {
      const m = mergeShards(cache, sentences.map(sentenceKey), opts.merge, log);
      return { ...base, sentences: sentences.length, cached: cache.size, computed: 0, merged: opts.merge, ...m, seconds: (performance.now() - t0) / 1000 };
    }
    const progress = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
    const onProgress = (d: number, total: number) => {
      progress.setTotal(total);
      progress.update(d);
    };
    if (!opts.shard) {
      const before = model.stats.sentencesEncoded;
      const r = await sharedTeacherEmbeddings(model, cache, sentences, { batchSize: cfg.teacher.batch_size, onProgress, log, encode: runtime.encode });
      return { ...base, sentences: sentences.length, cached: r.cached, computed: model.stats.sentencesEncoded - before, byOthers: r.byOthers, ...ran(), seconds: (performance.now() - t0) / 1000 };
    }
    const shard = await cacheShard(cfg, model, cache, sentences, opts.shard, onProgress, log, runtime.encode);
    return { ...base, ...shard, ...ran(), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await runtime.release();
    disposeSentenceModel(model);
  }
}

/** Where the teacher's ONNX graph is kept for teacher.runtime onnx/auto: next to its embedding cache. */
export function teacherOnnxDir(cfg: ExperimentConfig): string {
  return path.join(cfg.teacher.cache_dir, 'onnx');
}

type ShardResult = Pick<CacheTeacherSummary, 'sentences' | 'cached' | 'computed' | 'byOthers' | 'shard' | 'shardFile'>;

/**
 * `--shard i/N`: this shard's sentences into their own file, under a lock on
 * that file. Two runs of the same shard: the second waits for the first and
 * reuses its file.
 */
async function cacheShard(cfg: ExperimentConfig, model: SentenceModel, cache: TeacherCache, sentences: string[], shard: NonNullable<CacheTeacherOptions['shard']>,
  onProgress: (d: number, total: number) => void, log: (line: string) => void, encode: TeacherEncode): Promise<ShardResult> {
  const before = model.stats.sentencesEncoded;
  const { index, count } = shard;
  const mine = sentences.filter((s) => shardOf(sentenceKey(s), count) === index);
  const file = shardFile(cache.dir, index, count);
  const existed = fs.existsSync(file);
  const lock = await FileLock.acquireWhenFree(`${file}.lock`, {
    what: `teacher cache shard ${index}/${count}`, where: cache.dir, log, task: shard.task,
    onWait: (h) => log(`teacher cache: waiting for process ${h.pid} on ${h.hostname}, which is writing shard ${index}/${count} (since ${h.started})`),
  });
  try {
    if (shardComplete(file, cache, index, count, mine, log)) {
      const reused = existed ? { cached: mine.length, byOthers: 0 } : { cached: 0, byOthers: mine.length };
      return { sentences: mine.length, ...reused, computed: 0, shard: `${index}/${count}`, shardFile: file };
    }
    const todo = mine.filter((s) => !cache.has(sentenceKey(s)));
    const dim = cache.dim;
    const emb = new Float32Array(mine.length * dim);
    const r = await encode(todo, { batchSize: cfg.teacher.batch_size, onProgress });
    const computedAt = new Map(todo.map((s, i) => [s, i]));
    mine.forEach((s, i) => {
      const j = computedAt.get(s);
      if (j !== undefined) emb.set(r.embeddings.subarray(j * dim, (j + 1) * dim), i * dim);
      else cache.read(sentenceKey(s), emb, i * dim);
    });
    cache.add(mine.map(sentenceKey), emb, path.basename(file), { shard: String(index), of: String(count), complete: 'true' });
    return { sentences: mine.length, cached: mine.length - todo.length, computed: model.stats.sentencesEncoded - before, shard: `${index}/${count}`, shardFile: file };
  } finally {
    lock.release();
  }
}

/**
 * A shard file another process (or an earlier attempt of this array task)
 * finished: trusted only if it passes every check merge makes. A file that
 * fails them is named in a log line and recomputed.
 */
function shardComplete(file: string, cache: TeacherCache, index: number, count: number, mine: string[], log: (line: string) => void): boolean {
  if (!fs.existsSync(file)) return false;
  try {
    readShard(file, cache, index, count, mine.map(sentenceKey));
    return true;
  } catch (e) {
    if (!(e instanceof DistillError)) throw e;
    log(`${e.message.split('; recompute it')[0]}; recomputing it`);
    return false;
  }
}
