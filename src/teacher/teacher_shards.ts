import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { FileLock } from '../util/file_lock';
import { EmbeddingTableStream } from './embedding_table_stream';
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
 * naming the file and the first check it fails. Streamed
 * (EmbeddingTableStream): one record batch in memory at a time, plus the keys.
 */
export async function readShard(file: string, cache: TeacherCache, index: number, count: number, expected: Set<string>[], batchSize: number): Promise<void> {
  const redo = `recompute it: rerun cache-teacher --shard ${index}/${count} (array task ${index}), which replaces it`;
  const t = await EmbeddingTableStream.open(file);
  let keys: string[];
  try {
    const m = t.metadata;
    if (m.fingerprint !== cache.fingerprint || t.dim !== cache.dim) {
      throw new DistillError(`shard was computed by teacher ${m.fingerprint} (dim ${t.dim}), this config's teacher is ${cache.fingerprint} (dim ${cache.dim}); ${redo}`, file);
    }
    if (m.shard !== String(index) || m.of !== String(count)) throw new DistillError(`shard was computed as shard ${m.shard}/${m.of}, expected ${index}/${count}; ${redo}`, file);
    if (m.batch_size !== String(batchSize)) throw new DistillError(`shard was computed in teacher batches of ${m.batch_size ?? 'unplanned size (an older version)'}, this config's teacher.batch_size is ${batchSize}; ${redo}`, file);
    if (m.complete !== 'true') throw new DistillError(`shard is not marked complete; ${redo}`, file);
    keys = await t.verifiedKeys();
  } finally {
    await t.close();
  }
  const want = expected[index];
  const stray = keys.find((k) => !want.has(k));
  if (stray !== undefined) {
    const owner = expected.findIndex((s) => s.has(stray));
    throw new DistillError(`shard holds sentence ${stray}, which ${owner < 0 ? 'is not in this dataset' : `the batch plan gives to shard ${owner}/${count}`}, not ${index}/${count} (computed for another shard count or dataset?); ${redo}`, file);
  }
  const absent = want.size - new Set(keys).size;
  if (absent) throw new DistillError(`shard ${index}/${count} lacks ${absent} of its ${want.size} sentences (computed from another dataset?); ${redo}`, file);
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
export async function mergeShards(cache: TeacherCache, plan: TeacherPlan, count: number, log: (line: string) => void): Promise<MergeResult> {
  // Fails at once, naming the other merge, rather than waiting: a merge killed on another host leaves a lock no one here can judge.
  const lock = FileLock.acquire(path.join(cache.dir, `merge-of-${count}.lock`), { what: `merge of ${count} teacher cache shards`, where: cache.dir, log });
  try {
    cache.refresh();
    const expected = shardKeys(plan, count);
    const missing: number[] = [];
    const files: string[] = [];
    let alreadyMerged = 0;
    for (let i = 0; i < count; i++) {
      const file = shardFile(cache.dir, i, count);
      if (fs.existsSync(file)) (await readShard(file, cache, i, count, expected, plan.batchSize), files.push(file));
      else if ([...expected[i]].every((k) => cache.has(k))) alreadyMerged++;
      else missing.push(i);
    }
    if (missing.length) throw new DistillError(missingMessage(cache.dir, missing, count), cache.dir);
    const added = await copyNewRows(cache, files, count);
    for (let i = 0; i < count; i++) fs.rmSync(shardFile(cache.dir, i, count), { force: true });
    return { added, alreadyMerged };
  } finally {
    lock.release();
  }
}

/** Rows per cache part a merge writes: the one buffer it holds (25 MB at 384 dimensions). */
const MERGE_PART_ROWS = 16384;

/**
 * The rows the cache lacks, streamed from the (checked) shard files a record
 * batch at a time into new parts of MERGE_PART_ROWS rows; rows the cache
 * holds are not written twice. Returns the rows added.
 */
async function copyNewRows(cache: TeacherCache, files: string[], count: number): Promise<number> {
  const stamp = `${count}-${Date.now()}-${process.pid}`;
  const dim = cache.dim;
  const buf = new Float32Array(MERGE_PART_ROWS * dim);
  let keys: string[] = [];
  let parts = 0;
  let added = 0;
  const flush = () => {
    cache.add(keys, buf.subarray(0, keys.length * dim), `part-merged-${stamp}-${String(parts++).padStart(4, '0')}.arrow`);
    added += keys.length;
    keys = [];
  };
  for (const file of files) {
    const t = await EmbeddingTableStream.open(file);
    try {
      for await (const b of t.batches()) {
        for (let r = 0; r < b.keys.length; r++) {
          if (cache.has(b.keys[r])) continue;
          buf.set(b.embeddings.subarray(r * dim, (r + 1) * dim), keys.length * dim);
          keys.push(b.keys[r]);
          if (keys.length === MERGE_PART_ROWS) flush();
        }
      }
    } finally {
      await t.close();
    }
  }
  if (keys.length) flush();
  return added;
}

/** Names the missing shards, and shard files of other counts lying in the folder (a --merge N that does not match the array). */
function missingMessage(dir: string, missing: number[], count: number): string {
  const others = fs.readdirSync(dir).filter((f) => SHARD_NAME.exec(f) && Number(SHARD_NAME.exec(f)![2]) !== count).sort();
  const list = others.length > 3 ? `${others.slice(0, 3).join(', ')}, ... (${others.length} files)` : others.join(', ');
  return `cannot merge: shard(s) ${missing.join(', ')} of ${count} are missing (run cache-teacher --shard i/${count} for each, or rerun those array tasks)` +
    (others.length ? `; the folder holds shards of another count: ${list} — was the array run with another task count than --merge ${count}?` : '');
}
