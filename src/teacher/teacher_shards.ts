import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { FileLock } from '../util/file_lock';
import { EmbeddingRows, readEmbeddingTable } from './embedding_table';
import { TeacherCache } from './teacher_cache';
import { TeacherPlan } from './teacher_plan';

/**
 * Shard i of `count` owns the plan's batches i, i + count, i + 2 count, ...
 * (whole batches, so its rows have the batch mates they have in a
 * single-process run; long and short batches alike). Returns each shard's keys.
 */
export function shardKeys(plan: TeacherPlan, count: number): Set<string>[] {
  const out: Set<string>[] = Array.from({ length: count }, () => new Set());
  plan.batches.forEach((b, n) => b.forEach((i) => out[n % count].add(plan.keys[i])));
  return out;
}

export function shardFile(dir: string, index: number, count: number): string {
  return path.join(dir, `shard-${String(index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}.arrow`);
}

const SHARD_NAME = /^shard-(\d+)-of-(\d+)\.arrow$/;

/**
 * Reads shard `index`/`count` and checks it is what a merge may trust: of
 * this teacher, written as this shard of this count with this batch size
 * (which fixes the plan), marked complete, and holding exactly the keys
 * the plan gives it (`expected`: every shard's keys). Throws a DistillError
 * naming the file and the first check it fails.
 */
export function readShard(file: string, cache: TeacherCache, index: number, count: number, expected: Set<string>[], batchSize: number): EmbeddingRows {
  const t = readEmbeddingTable(file);
  const m = t.metadata;
  const redo = `recompute it: rerun cache-teacher --shard ${index}/${count} (array task ${index}), which replaces it`;
  if (m.fingerprint !== cache.fingerprint || t.dim !== cache.dim) {
    throw new DistillError(`shard was computed by teacher ${m.fingerprint} (dim ${t.dim}), this config's teacher is ${cache.fingerprint} (dim ${cache.dim}); ${redo}`, file);
  }
  if (m.shard !== String(index) || m.of !== String(count)) throw new DistillError(`shard was computed as shard ${m.shard}/${m.of}, expected ${index}/${count}; ${redo}`, file);
  if (m.batch_size !== String(batchSize)) throw new DistillError(`shard was computed in teacher batches of ${m.batch_size ?? 'unplanned size (an older version)'}, this config's teacher.batch_size is ${batchSize}; ${redo}`, file);
  if (m.complete !== 'true') throw new DistillError(`shard is not marked complete; ${redo}`, file);
  const want = expected[index];
  const stray = t.keys.find((k) => !want.has(k));
  if (stray !== undefined) {
    const owner = expected.findIndex((s) => s.has(stray));
    throw new DistillError(`shard holds sentence ${stray}, which ${owner < 0 ? 'is not in this dataset' : `the batch plan gives to shard ${owner}/${count}`}, not ${index}/${count} (computed for another shard count or dataset?); ${redo}`, file);
  }
  const absent = want.size - new Set(t.keys).size;
  if (absent) throw new DistillError(`shard ${index}/${count} lacks ${absent} of its ${want.size} sentences (computed from another dataset?); ${redo}`, file);
  return t;
}

export interface MergeResult {
  /** Rows the merge added to the cache (0 when a previous merge did it). */
  added: number;
  /** Shards whose file was gone but whose sentences the cache already held (merged before). */
  alreadyMerged: number;
}

/**
 * `cache-teacher --merge N`: checks every shard 0..N-1 (readShard), then
 * writes their rows as one cache part and removes the shard files.
 * Idempotent: a shard file that is gone while the cache holds all its
 * sentences was merged before (a merge that ran twice, or died between
 * writing the part and removing the shards). A second merge while one runs
 * is refused, naming the first.
 */
export function mergeShards(cache: TeacherCache, plan: TeacherPlan, count: number, log: (line: string) => void): MergeResult {
  // Fails at once, naming the other merge, rather than waiting: a merge killed on another host leaves a lock no one here can judge.
  const lock = FileLock.acquire(path.join(cache.dir, `merge-of-${count}.lock`), { what: `merge of ${count} teacher cache shards`, where: cache.dir, log });
  try {
    cache.refresh();
    const expected = shardKeys(plan, count);
    const missing: number[] = [];
    const rows: EmbeddingRows[] = [];
    let alreadyMerged = 0;
    for (let i = 0; i < count; i++) {
      const file = shardFile(cache.dir, i, count);
      if (fs.existsSync(file)) rows.push(readShard(file, cache, i, count, expected, plan.batchSize));
      else if ([...expected[i]].every((k) => cache.has(k))) alreadyMerged++;
      else missing.push(i);
    }
    if (missing.length) throw new DistillError(missingMessage(cache.dir, missing, count), cache.dir);
    const added = addNewRows(cache, rows, count);
    for (let i = 0; i < count; i++) fs.rmSync(shardFile(cache.dir, i, count), { force: true });
    return { added, alreadyMerged };
  } finally {
    lock.release();
  }
}

/** The rows the cache lacks, as one new part; rows it holds already are not written twice. */
function addNewRows(cache: TeacherCache, rows: EmbeddingRows[], count: number): number {
  const keys: string[] = [];
  const at: Array<[EmbeddingRows, number]> = [];
  for (const t of rows) {
    t.keys.forEach((k, r) => {
      if (!cache.has(k)) {
        keys.push(k);
        at.push([t, r]);
      }
    });
  }
  const all = new Float32Array(keys.length * cache.dim);
  at.forEach(([t, r], i) => all.set(t.embeddings.subarray(r * t.dim, (r + 1) * t.dim), i * cache.dim));
  cache.add(keys, all, `part-merged-${count}-${Date.now()}-${process.pid}.arrow`);
  return keys.length;
}

/** Names the missing shards, and shard files of other counts lying in the folder (a --merge N that does not match the array). */
function missingMessage(dir: string, missing: number[], count: number): string {
  const others = fs.readdirSync(dir).filter((f) => SHARD_NAME.exec(f) && Number(SHARD_NAME.exec(f)![2]) !== count).sort();
  const list = others.length > 3 ? `${others.slice(0, 3).join(', ')}, ... (${others.length} files)` : others.join(', ');
  return `cannot merge: shard(s) ${missing.join(', ')} of ${count} are missing (run cache-teacher --shard i/${count} for each, or rerun those array tasks)` +
    (others.length ? `; the folder holds shards of another count: ${list} — was the array run with another task count than --merge ${count}?` : '');
}
