import * as path from 'path';
import { sentenceKey } from '../data/sentence_key';
import { SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { TeacherEncode, TeacherLookup, teacherEmbeddings } from '../teacher/teacher_embeddings';
import { FileLock, LockHolder } from '../util/file_lock';

/** Sentences are split by key into this many cache shards, each written under its own lock. */
export const CACHE_WRITE_SHARDS = 16;

export interface SharedTeacherLookup extends TeacherLookup {
  /** Rows missing when this process started that another process computed meanwhile. */
  byOthers: number;
}

export interface SharedTeacherOptions {
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
  /** Stops between batches (a signal during `train`); shards already written stay. */
  signal?: AbortSignal;
  /** What computes missing rows (default: the model on tfjs). */
  encode?: TeacherEncode;
}

/** Which write shard a sentence key falls in (the key's first 32 bits, as `--shard` uses them). */
export function writeShardOf(key: string, count = CACHE_WRITE_SHARDS): number {
  return parseInt(key.slice(0, 8), 16) % count;
}

/**
 * `teacherEmbeddings` for a cache that other processes (another
 * cache-teacher, a train on the same teacher) may be filling at the same
 * time. The missing sentences are split into write shards by key; each shard
 * is computed under its lock file in the cache folder, after re-reading the
 * parts others added, so no sentence is encoded twice. Shards another live
 * process holds are skipped at first and waited for at the end.
 */
export async function sharedTeacherEmbeddings(model: SentenceModel, cache: TeacherCache, sentences: string[], opts: SharedTeacherOptions = {}): Promise<SharedTeacherLookup> {
  const shards = missingByShard(cache, sentences);
  const missing = [...shards.values()].reduce((n, s) => n + s.length, 0);
  let computed = 0;
  const fill = async (lock: FileLock, todo: string[]) => {
    try {
      cache.refresh();
      const offset = computed;
      const r = await teacherEmbeddings(model, cache, todo, { batchSize: opts.batchSize, signal: opts.signal, encode: opts.encode, onProgress: (d) => opts.onProgress?.(offset + d, missing) });
      computed += r.computed;
    } finally {
      lock.release();
    }
  };
  const deferred: number[] = [];
  for (const [shard, todo] of shards) {
    const lock = FileLock.tryAcquire(shardLockFile(cache, shard), lockOptions(cache, shard, opts));
    if (lock instanceof FileLock) await fill(lock, todo);
    else deferred.push(shard);
  }
  for (const shard of deferred) {
    const onWait = (h: LockHolder) => opts.log?.(`teacher cache: waiting for process ${h.pid}, which is writing shard ${shard} of ${CACHE_WRITE_SHARDS} (since ${h.started})`);
    await fill(await FileLock.acquireWhenFree(shardLockFile(cache, shard), { ...lockOptions(cache, shard, opts), onWait }), shards.get(shard)!);
  }
  // Every row is cached now; this reads them in order (and would compute any a writer lost).
  const all = await teacherEmbeddings(model, cache, sentences, { batchSize: opts.batchSize, encode: opts.encode });
  computed += all.computed;
  return { embeddings: all.embeddings, computed, cached: sentences.length - missing, byOthers: missing - computed };
}

/** Distinct sentences the cache lacks, by write shard. */
function missingByShard(cache: TeacherCache, sentences: string[]): Map<number, string[]> {
  const seen = new Set<string>();
  const shards = new Map<number, string[]>();
  for (const s of sentences) {
    const k = sentenceKey(s);
    if (cache.has(k) || seen.has(k)) continue;
    seen.add(k);
    const sh = writeShardOf(k);
    if (!shards.has(sh)) shards.set(sh, []);
    shards.get(sh)!.push(s);
  }
  return new Map([...shards].sort((a, b) => a[0] - b[0]));
}

function shardLockFile(cache: TeacherCache, shard: number): string {
  return path.join(cache.dir, `writing-${String(shard).padStart(2, '0')}-of-${CACHE_WRITE_SHARDS}.lock`);
}

function lockOptions(cache: TeacherCache, shard: number, opts: SharedTeacherOptions) {
  return { what: `teacher cache shard ${shard} of ${CACHE_WRITE_SHARDS}`, where: cache.dir, log: opts.log };
}
