import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { loadDataset, recordTexts, ReadStats } from '../data/read_dataset';
import { readEmbeddingTable } from '../teacher/embedding_table';
import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { TeacherCache } from '../teacher/teacher_cache';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { FileLock } from '../util/file_lock';
import { sharedTeacherEmbeddings } from './shared_teacher_embeddings';
import { embeddingDim, encodeSentences } from '../model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { resolveModel } from '../hub/resolve_model';
import { Progress } from '../util/progress';

export interface CacheTeacherOptions {
  /** Compute only shard i of n (by sentence key), into its own file. */
  shard?: { index: number; count: number };
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
  shard?: string;
  shardFile?: string;
  merged?: number;
  read: ReadStats;
}

export function parseShard(s: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(s);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) throw new DistillError(`--shard "${s}": expected i/N with 0 <= i < N, e.g. 0/4`);
  return { index, count };
}

export function shardOf(key: string, count: number): number {
  return parseInt(key.slice(0, 8), 16) % count;
}

function shardFile(dir: string, index: number, count: number): string {
  return path.join(dir, `shard-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.arrow`);
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

export function openTeacherCache(cfg: ExperimentConfig, model: SentenceModel): TeacherCache {
  const { fingerprint, parts } = teacherFingerprint(model);
  return TeacherCache.open(cfg.teacher.cache_dir, fingerprint, embeddingDim(model), { teacher: fs.existsSync(cfg.teacher.model) ? path.resolve(cfg.teacher.model) : cfg.teacher.model, ...parts });
}

/** `distill cache-teacher`: precompute the teacher cache, whole, as one shard of N, or merge N shards. */
export async function cacheTeacher(cfg: ExperimentConfig, opts: CacheTeacherOptions = {}): Promise<CacheTeacherSummary> {
  const t0 = performance.now();
  const { sentences, read } = await trainSentences(cfg);
  const model = loadSentenceModel((await resolveModel(cfg.teacher.model, { where: 'teacher.model', quiet: opts.quiet })).dir, { pooling: cfg.teacher.pooling });
  try {
    const cache = openTeacherCache(cfg, model);
    const base = { cacheDir: cache.dir, fingerprint: cache.fingerprint, read };
    if (opts.merge !== undefined) return { ...base, ...merge(cache, sentences, opts.merge), seconds: (performance.now() - t0) / 1000 };
    const progress = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
    const onProgress = (d: number, total: number) => {
      progress.setTotal(total);
      progress.update(d);
    };
    const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
    if (!opts.shard) {
      const before = model.stats.sentencesEncoded;
      const r = await sharedTeacherEmbeddings(model, cache, sentences, { batchSize: cfg.teacher.batch_size, onProgress, log });
      return { ...base, sentences: sentences.length, cached: r.cached, computed: model.stats.sentencesEncoded - before, byOthers: r.byOthers, seconds: (performance.now() - t0) / 1000 };
    }
    return { ...base, ...(await cacheShard(cfg, model, cache, sentences, opts.shard, onProgress, log)), seconds: (performance.now() - t0) / 1000 };
  } finally {
    disposeSentenceModel(model);
  }
}

type ShardResult = Pick<CacheTeacherSummary, 'sentences' | 'cached' | 'computed' | 'byOthers' | 'shard' | 'shardFile'>;

/**
 * `--shard i/N`: this shard's sentences into their own file, under a lock on
 * that file. Two runs of the same shard: the second waits for the first and
 * reuses its file.
 */
async function cacheShard(cfg: ExperimentConfig, model: SentenceModel, cache: TeacherCache, sentences: string[], shard: { index: number; count: number },
  onProgress: (d: number, total: number) => void, log: (line: string) => void): Promise<ShardResult> {
  const before = model.stats.sentencesEncoded;
  const { index, count } = shard;
  const mine = sentences.filter((s) => shardOf(sentenceKey(s), count) === index);
  const file = shardFile(cache.dir, index, count);
  const existed = fs.existsSync(file);
  const lock = await FileLock.acquireWhenFree(`${file}.lock`, {
    what: `teacher cache shard ${index}/${count}`, where: cache.dir, log,
    onWait: (h) => log(`teacher cache: waiting for process ${h.pid}, which is writing shard ${index}/${count} (since ${h.started})`),
  });
  try {
    if (shardComplete(file, mine, cache.fingerprint)) {
      const reused = existed ? { cached: mine.length, byOthers: 0 } : { cached: 0, byOthers: mine.length };
      return { sentences: mine.length, ...reused, computed: 0, shard: `${index}/${count}`, shardFile: file };
    }
    const todo = mine.filter((s) => !cache.has(sentenceKey(s)));
    const dim = cache.dim;
    const emb = new Float32Array(mine.length * dim);
    const r = await encodeSentences(model, todo, { batchSize: cfg.teacher.batch_size, onProgress });
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

/** A shard file another process finished while this one waited: complete, of this teacher, holding every sentence of the shard. */
function shardComplete(file: string, mine: string[], fingerprint: string): boolean {
  if (!fs.existsSync(file)) return false;
  const t = readEmbeddingTable(file);
  const have = new Set(t.keys);
  return t.metadata.complete === 'true' && t.metadata.fingerprint === fingerprint && mine.every((s) => have.has(sentenceKey(s)));
}

/** Checks every shard is present, whole and covers its sentences, then writes them as one cache part. */
function merge(cache: TeacherCache, sentences: string[], count: number): Omit<CacheTeacherSummary, 'cacheDir' | 'fingerprint' | 'read' | 'seconds'> {
  const expected = new Map<number, Set<string>>();
  for (const s of sentences) {
    const k = sentenceKey(s);
    const sh = shardOf(k, count);
    if (!expected.has(sh)) expected.set(sh, new Set());
    expected.get(sh)!.add(k);
  }
  const missing: number[] = [];
  for (let i = 0; i < count; i++) if (!fs.existsSync(shardFile(cache.dir, i, count))) missing.push(i);
  if (missing.length) throw new DistillError(`cannot merge: shard(s) ${missing.join(', ')} of ${count} are missing (run cache-teacher --shard i/${count} for each)`, cache.dir);
  const keys: string[] = [];
  const parts: Float32Array[] = [];
  for (let i = 0; i < count; i++) {
    const file = shardFile(cache.dir, i, count);
    const t = readEmbeddingTable(file);
    if (t.metadata.complete !== 'true' || t.metadata.shard !== String(i) || t.metadata.of !== String(count) || t.metadata.fingerprint !== cache.fingerprint) {
      throw new DistillError(`shard metadata ${JSON.stringify(t.metadata)} does not match shard ${i}/${count} of teacher ${cache.fingerprint}`, file);
    }
    const want = expected.get(i) ?? new Set<string>();
    const have = new Set(t.keys);
    const absent = [...want].filter((k) => !have.has(k)).length;
    if (absent) throw new DistillError(`shard ${i}/${count} lacks ${absent} of its ${want.size} sentences (stale shard from another dataset?); recompute it`, file);
    // Rows the cache already holds are not written twice.
    t.keys.forEach((k, r) => {
      if (cache.has(k)) return;
      keys.push(k);
      parts.push(t.embeddings.subarray(r * t.dim, (r + 1) * t.dim));
    });
  }
  const all = new Float32Array(keys.length * cache.dim);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  cache.add(keys, all, `part-merged-${count}-${Date.now()}.arrow`);
  for (let i = 0; i < count; i++) fs.rmSync(shardFile(cache.dir, i, count));
  return { sentences: sentences.length, cached: cache.size, computed: 0, merged: count };
}
