import * as path from 'path';
import { sentenceKey } from '../data/sentence_key';
import { SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { fillBatches, TeacherEncode, TeacherLookup, teacherEmbeddings } from '../teacher/teacher_embeddings';
import { missingBatches, teacherPlan } from '../teacher/teacher_plan';
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

/**
 * `teacherEmbeddings` for a cache that other processes (another
 * cache-teacher, a train on the same teacher) may be filling at the same
 * time. The sentences are planned into teacher batches (teacher_plan.ts);
 * the batches with missing rows are dealt round-robin to write shards, each
 * computed under its lock file in the cache folder, after re-reading the
 * parts others added, so no sentence is encoded twice and every row has the
 * batch mates of the plan whoever computes it. Shards another live process
 * holds are skipped at first and waited for at the end.
 */
export async function sharedTeacherEmbeddings(model: SentenceModel, cache: TeacherCache, sentences: string[], opts: SharedTeacherOptions = {}): Promise<SharedTeacherLookup> {
  const keys = sentences.map(sentenceKey);
  const missing = new Set(keys.filter((k) => !cache.has(k))).size;
  let computed = 0;
  if (missing) {
    const plan = teacherPlan(model, sentences, opts.batchSize);
    const todo = missingBatches(plan, cache);
    const total = todo.reduce((n, b) => n + plan.batches[b].length, 0);
    const shards = byWriteShard(todo);
    let encoded = 0;
    const fill = async (lock: FileLock, batches: number[]) => {
      try {
        cache.refresh();
        const mine = missingBatches(plan, cache, batches);
        const offset = encoded;
        encoded += mine.reduce((n, b) => n + plan.batches[b].length, 0);
        computed += await fillBatches(model, cache, plan, mine, { signal: opts.signal, encode: opts.encode, onProgress: (d) => opts.onProgress?.(offset + d, total) });
      } finally {
        lock.release();
      }
    };
    const deferred: number[] = [];
    for (const [shard, batches] of shards) {
      const lock = FileLock.tryAcquire(shardLockFile(cache, shard), lockOptions(cache, shard, opts));
      if (lock instanceof FileLock) await fill(lock, batches);
      else deferred.push(shard);
    }
    for (const shard of deferred) {
      const onWait = (h: LockHolder) => opts.log?.(`teacher cache: waiting for process ${h.pid}, which is writing shard ${shard} of ${CACHE_WRITE_SHARDS} (since ${h.started})`);
      await fill(await FileLock.acquireWhenFree(shardLockFile(cache, shard), { ...lockOptions(cache, shard, opts), onWait }), shards.get(shard)!);
    }
  }
  // Every row is cached now; this reads them in order (and would compute any a writer lost).
  const all = await teacherEmbeddings(model, cache, sentences, { batchSize: opts.batchSize, encode: opts.encode });
  computed += all.computed;
  return { embeddings: all.embeddings, computed, cached: sentences.length - missing, byOthers: missing - computed };
}

/** Plan batches by write shard (batch number mod CACHE_WRITE_SHARDS, so each shard gets long and short batches alike). */
function byWriteShard(batches: number[]): Map<number, number[]> {
  const shards = new Map<number, number[]>();
  for (const b of batches) {
    const sh = b % CACHE_WRITE_SHARDS;
    if (!shards.has(sh)) shards.set(sh, []);
    shards.get(sh)!.push(b);
  }
  return new Map([...shards].sort((a, b) => a[0] - b[0]));
}
function shardLockFile(cache: TeacherCache, shard: number): string {
  return path.join(cache.dir, `writing-${String(shard).padStart(2, '0')}-of-${CACHE_WRITE_SHARDS}.lock`);
}

function lockOptions(cache: TeacherCache, shard: number, opts: SharedTeacherOptions) {
  return { what: `teacher cache shard ${shard} of ${CACHE_WRITE_SHARDS}`, where: cache.dir, log: opts.log };
}
