import * as fs from 'fs';
import * as path from 'path';
import { writeJsonAtomic } from '../util/atomic_write';
import { DistillError } from '../util/errors';
import { ChunkEntry } from './prepared_chunks';
import { ReadStats } from './read_dataset';

export const MANIFEST_FILE = 'prepared.json';

/**
 * A prepared dataset's table of contents, written last (atomically): a folder
 * without it is unfinished and is rebuilt. `key` is the fingerprint of what
 * the rows were made from (data file bytes and spec, student tokenizer and
 * max length, teacher), which also names the folder.
 */
export interface PreparedManifest {
  version: 1;
  key: string;
  groupSize: number;
  dim: number;
  padId: number;
  chunkRows: number;
  rows: number;
  /** Distinct sentences among the rows. */
  sentences: number;
  truncated: number;
  stats: ReadStats;
  teacherComputed: number;
  teacherCached: number;
  /** Up to 1000 training sentences, for measuring encode speed without reading the data again. */
  sample: string[];
  chunks: ChunkEntry[];
}

export function writeManifest(dir: string, m: PreparedManifest): void {
  writeJsonAtomic(path.join(dir, MANIFEST_FILE), m);
}

/** The manifest of `dir` if it is complete and of this key; null when absent (not prepared yet). */
export function readManifest(dir: string, key: string): PreparedManifest | null {
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(file)) return null;
  let m: PreparedManifest;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistillError(`prepared-dataset manifest is not valid JSON (${(e as Error).message}); delete the folder to rebuild it`, file);
  }
  if (m.version !== 1 || m.key !== key || !Array.isArray(m.chunks)) {
    throw new DistillError(`not a prepared-dataset manifest of key ${key} (version ${m.version}, key ${m.key}); delete the folder to rebuild it`, file);
  }
  const rows = m.chunks.reduce((s, c) => s + c.rows, 0);
  if (rows !== m.rows) throw new DistillError(`chunks hold ${rows} rows, manifest says ${m.rows}`, file);
  for (const c of m.chunks) {
    const size = fs.statSync(path.join(dir, c.file), { throwIfNoEntry: false })?.size;
    if (size !== c.bytes) throw new DistillError(`${c.file} is ${size === undefined ? 'missing' : `${size} bytes`}, manifest says ${c.bytes}; delete the folder to rebuild it`, file);
  }
  return m;
}
