import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { writeJsonAtomic } from '../util/atomic_write';
import { quarantine } from '../util/quarantine';
import { warnToStderr } from '../util/warn';
import { whileWriting } from '../util/while_writing';
import { EmbeddingRows, readEmbeddingTable, writeEmbeddingTable } from './embedding_table';


/** A whole part of another teacher in this folder: a mix-up to report, not corruption to repair. */
class ForeignPartError extends DistillError {}

/** Parts older than this that are still temporary belong to a writer that died. */
const STALE_TMP_MS = 60 * 60 * 1000;

/**
 * Teacher sentence embeddings on disk, one folder per teacher fingerprint,
 * as Arrow IPC parts keyed by sentence key. Only complete files (renamed into
 * place after an fsync) are ever read; `*.tmp-*` leftovers of a killed writer
 * are ignored and cleaned up. A part that fails its checks (truncated, a
 * flipped bit against its checksum) is named in a warning and moved aside as
 * `*.bad-<time>`; its sentences are then missing and get recomputed.
 */
export class TeacherCache {
  private readonly index = new Map<string, { part: number; row: number }>();
  private readonly parts: EmbeddingRows[] = [];
  private readonly loaded = new Set<string>();

  private constructor(readonly dir: string, readonly fingerprint: string, readonly dim: number, private readonly warn: (message: string) => void) {}

  static folder(root: string, fingerprint: string): string {
    return path.join(root, fingerprint);
  }

  /** Opens (creating if needed) the cache of one teacher and loads every complete part. */
  static open(root: string, fingerprint: string, dim: number, describe: Record<string, unknown> = {}, warn: (message: string) => void = warnToStderr): TeacherCache {
    const dir = TeacherCache.folder(root, fingerprint);
    fs.mkdirSync(dir, { recursive: true });
    const info = path.join(dir, 'teacher.json');
    if (!fs.existsSync(info)) writeJsonAtomic(info, { fingerprint, dim, ...describe });
    const cache = new TeacherCache(dir, fingerprint, dim, warn);
    for (const f of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, f);
      if (f.includes('.tmp-')) {
        // A concurrent writer may rename its temporary between readdir and stat: gone is not stale.
        if (Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > STALE_TMP_MS) fs.rmSync(file, { force: true });
        continue;
      }
      if (f.startsWith('part-') && f.endsWith('.arrow')) cache.loadOrQuarantine(file);
    }
    return cache;
  }

  private loadOrQuarantine(file: string): void {
    try {
      this.load(file);
    } catch (e) {
      if (!(e instanceof DistillError) || e instanceof ForeignPartError) throw e;
      const aside = quarantine(file);
      this.warn(`${e.message}; moved it aside to ${path.basename(aside)}, its sentences will be recomputed`);
    }
  }

  private load(file: string): void {
    const rows = readEmbeddingTable(file);
    if (rows.metadata.fingerprint !== this.fingerprint || rows.dim !== this.dim) {
      throw new ForeignPartError(`cache part belongs to teacher ${rows.metadata.fingerprint} (dim ${rows.dim}), expected ${this.fingerprint} (dim ${this.dim})`, file);
    }
    this.loaded.add(path.basename(file));
    const p = this.parts.push(rows) - 1;
    rows.keys.forEach((k, row) => this.index.set(k, { part: p, row }));
  }

  /** Loads the complete parts another process added since this cache was opened; returns how many rows they added. */
  refresh(): number {
    const before = this.size;
    for (const f of fs.readdirSync(this.dir).sort()) {
      if (f.startsWith('part-') && f.endsWith('.arrow') && !this.loaded.has(f)) this.loadOrQuarantine(path.join(this.dir, f));
    }
    return this.size - before;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Copies the embedding of `key` into `out` at `offset`; false when absent. */
  read(key: string, out: Float32Array, offset = 0): boolean {
    const at = this.index.get(key);
    if (!at) return false;
    const { embeddings } = this.parts[at.part];
    out.set(embeddings.subarray(at.row * this.dim, (at.row + 1) * this.dim), offset);
    return true;
  }

  /** Adds rows as one new complete part file. */
  add(keys: string[], embeddings: Float32Array, name = `part-${Date.now()}-${process.pid}.arrow`, metadata: Record<string, string> = {}): string {
    const file = path.join(this.dir, name);
    if (keys.length === 0) return file;
    whileWriting('teacher-cache part', () => writeEmbeddingTable(file, { keys, embeddings, dim: this.dim, metadata: { ...metadata, fingerprint: this.fingerprint } }));
    if (name.startsWith('part-')) this.load(file);
    return file;
  }
}
