import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { loadDataset, recordTexts, ReadStats } from '../data/read_dataset';
import { mergeShards, readShard, shardFile, shardKeys } from '../teacher/teacher_shards';
import { missingBatches, TeacherPlan, teacherPlan } from '../teacher/teacher_plan';
import { normalizeSentence } from '../data/sentence_key';
import { TeacherCache } from '../teacher/teacher_cache';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { FileLock } from '../util/file_lock';
import { sharedTeacherEmbeddings } from './shared_teacher_embeddings';
import { embeddingDim } from '../model/sentence_encoder';
import { TeacherEncode } from '../teacher/teacher_embeddings';
import { teacherRuntime } from './teacher_runtime';
import { prepareFromCache, PreparedSummary } from './prepare_from_cache';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { resolveModel } from '../hub/resolve_model';
import { Progress } from '../util/progress';
import { readableSync } from '../backend/webgpu_backend';

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
  /** The prepared dataset `distill train` reads (written after a whole run or a merge; teacher.cache only). */
  prepared?: PreparedSummary;
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
      const m = await mergeShards(cache, teacherPlan(model, sentences, cfg.teacher.batch_size), opts.merge, log);
      const prepared = await prepare(cfg, model, cache, runtime.encode, opts.quiet);
      return { ...base, sentences: sentences.length, cached: cache.size, computed: 0, merged: opts.merge, ...m, ...prepared, seconds: (performance.now() - t0) / 1000 };
    }
    const progress = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
    const onProgress = (d: number, total: number) => {
      progress.setTotal(total);
      progress.update(d);
    };
    if (!opts.shard) {
      const before = model.stats.sentencesEncoded;
      const r = await sharedTeacherEmbeddings(model, cache, sentences, { batchSize: cfg.teacher.batch_size, onProgress, log, encode: runtime.encode });
      const computed = model.stats.sentencesEncoded - before;
      const prepared = await prepare(cfg, model, cache, runtime.encode, opts.quiet);
      return { ...base, sentences: sentences.length, cached: r.cached, computed, byOthers: r.byOthers, ...ran(), ...prepared, seconds: (performance.now() - t0) / 1000 };
    }
    const shard = await cacheShard(cfg, model, cache, sentences, opts.shard, onProgress, log, runtime.encode);
    return { ...base, ...shard, ...ran(), seconds: (performance.now() - t0) / 1000 };
  } finally {
    await runtime.release();
    disposeSentenceModel(model);
  }
}

/** The prepared dataset, once every row is cached (none with teacher.cache off: it would live in a run folder). */
async function prepare(cfg: ExperimentConfig, model: SentenceModel, cache: TeacherCache, encode: TeacherEncode, quiet?: boolean): Promise<{ prepared?: PreparedSummary }> {
  return cfg.teacher.cache ? { prepared: await prepareFromCache(cfg, model, cache, encode, quiet) } : {};
}

/** Where the teacher's ONNX graph is kept for teacher.runtime onnx/auto: next to its embedding cache. */
export function teacherOnnxDir(cfg: ExperimentConfig): string {
  return path.join(cfg.teacher.cache_dir, 'onnx');
}

type ShardResult = Pick<CacheTeacherSummary, 'sentences' | 'cached' | 'computed' | 'byOthers' | 'shard' | 'shardFile'>;

/**
 * `--shard i/N`: this shard's batches of the dataset's teacher plan
 * (shardKeys) into their own file, under a lock on that file. Every process
 * plans the whole dataset (tokenizing it, far cheaper than encoding) so the
 * shards' rows are the single-process run's, bit for bit. Two runs of the
 * same shard: the second waits for the first and reuses its file.
 */
async function cacheShard(cfg: ExperimentConfig, model: SentenceModel, cache: TeacherCache, sentences: string[], shard: NonNullable<CacheTeacherOptions['shard']>,
  onProgress: (d: number, total: number) => void, log: (line: string) => void, encode: TeacherEncode): Promise<ShardResult> {
  const before = model.stats.sentencesEncoded;
  const { index, count } = shard;
  const plan = teacherPlan(model, sentences, cfg.teacher.batch_size);
  const expected = shardKeys(plan, count);
  const file = shardFile(cache.dir, index, count);
  const existed = fs.existsSync(file);
  const lock = await FileLock.acquireWhenFree(`${file}.lock`, {
    what: `teacher cache shard ${index}/${count}`, where: cache.dir, log, task: shard.task,
    onWait: (h) => log(`teacher cache: waiting for process ${h.pid} on ${h.hostname}, which is writing shard ${index}/${count} (since ${h.started})`),
  });
  try {
    const n = expected[index].size;
    if (await shardComplete(file, cache, index, count, expected, plan.batchSize, log)) {
      const reused = existed ? { cached: n, byOthers: 0 } : { cached: 0, byOthers: n };
      return { sentences: n, ...reused, computed: 0, shard: `${index}/${count}`, shardFile: file };
    }
    const { keys, emb, cached } = await shardRows(plan, cache, index, count, encode, onProgress);
    cache.add(keys, emb, path.basename(file), { shard: String(index), of: String(count), batch_size: String(plan.batchSize), complete: 'true' });
    return { sentences: n, cached, computed: model.stats.sentencesEncoded - before, shard: `${index}/${count}`, shardFile: file };
  } finally {
    lock.release();
  }
}

/** Rows of shard `index`: its batches with a row the cache lacks are encoded whole; rows the cache holds are taken from it. */
async function shardRows(plan: TeacherPlan, cache: TeacherCache, index: number, count: number, encode: TeacherEncode, onProgress: (d: number, total: number) => void) {
  const mine = plan.batches.flatMap((b, n) => (n % count === index ? b : []));
  const todo = missingBatches(plan, cache, plan.batches.keys()).filter((n) => n % count === index).flatMap((n) => plan.batches[n]);
  const dim = cache.dim;
  const r = await encode(todo.map((i) => plan.texts[i]), { batchSize: plan.batchSize, onProgress });
  const computedAt = new Map(todo.map((i, j) => [i, j]));
  const emb = new Float32Array(mine.length * dim);
  let cached = 0;
  mine.forEach((i, row) => {
    const j = computedAt.get(i);
    if (j !== undefined) emb.set(r.embeddings.subarray(j * dim, (j + 1) * dim), row * dim);
    else if (cache.read(plan.keys[i], emb, row * dim)) cached++;
    // A cached row that failed its crc32 just now (its part was moved aside, named in a warning).
    else throw new DistillError(`teacher row ${plan.keys[i]} was lost from the cache while this shard was computed; rerun the task`, cache.dir);
  });
  return { keys: mine.map((i) => plan.keys[i]), emb, cached };
}

/**
 * A shard file another process (or an earlier attempt of this array task)
 * finished: trusted only if it passes every check merge makes. A file that
 * fails them is named in a log line and recomputed.
 */
async function shardComplete(file: string, cache: TeacherCache, index: number, count: number, expected: Set<string>[], batchSize: number, log: (line: string) => void): Promise<boolean> {
  if (!fs.existsSync(file)) return false;
  try {
    await readShard(file, cache, index, count, expected, batchSize);
    return true;
  } catch (e) {
    if (!(e instanceof DistillError)) throw e;
    log(`${e.message.split('; recompute it')[0]}; recomputing it`);
    return false;
  }
}
