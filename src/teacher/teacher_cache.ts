import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { DistillError } from '../util/errors';
import { writeJsonAtomic } from '../util/atomic_write';
import { quarantine } from '../util/quarantine';
import { warnToStderr } from '../util/warn';
import { whileWriting } from '../util/while_writing';
import { readEmbeddingTable, writeEmbeddingTable } from './embedding_table';
import { KeyIndex } from '../util/key_index';
import { PartIndex, readPartIndex, sidecarFile, writePartIndex } from './part_index';


/** A whole part of another teacher in this folder: a mix-up to report, not corruption to repair. */
class ForeignPartError extends DistillError {}

/** Parts older than this that are still temporary belong to a writer that died. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** Parts are written at most this many rows each, so one is read (when its index is rebuilt) in one buffer of bounded size. */
const MAX_PART_ROWS = 65536;

/**
 * Teacher sentence embeddings on disk, one folder per teacher fingerprint,
 * as Arrow IPC parts keyed by sentence key. Only complete files (renamed into
 * place after an fsync) are ever read; `*.tmp-*` leftovers of a killed writer
 * are ignored and cleaned up. A part that fails its checks (truncated, a
 * flipped bit against its checksum) is named in a warning and moved aside as
 * `*.bad-<time>`; its sentences are then missing and get recomputed.
 *
 * Opening reads each part's on-disk index (part_index.ts: keys, row
 * offsets and row crc32s, 28 bytes a row), not its embeddings; a part is
 * read whole and checked only when its index is missing or older than the
 * part. Rows are read with positioned reads when asked for, each checked
 * against its crc32: a part with a row that fails is named with the row
 * numbers, moved aside, and its rows are reported absent (recomputed by
 * teacherEmbeddings). Memory holds the key index, and 12 bytes a row of
 * offsets and crc32s, whatever the size of the cache.
 */
export class TeacherCache {
  // Entries point at (part, row number); the part's index gives the row's byte offset and crc32.
  private index = new KeyIndex();
  private parts: Array<{ file: string; offsets: Float64Array; crcs: Uint32Array }> = [];
  private loaded = new Set<string>();

  private constructor(readonly dir: string, readonly fingerprint: string, readonly dim: number, private readonly warn: (message: string) => void) {}

  static folder(root: string, fingerprint: string): string {
    return path.join(root, fingerprint);
  }

  /** Opens (creating if needed) the cache of one teacher and indexes every complete part. */
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
      if (isPart(f)) cache.loadOrQuarantine(file);
    }
    return cache;
  }

  private loadOrQuarantine(file: string): void {
    try {
      this.load(file);
    } catch (e) {
      if (!(e instanceof DistillError) || e instanceof ForeignPartError) throw e;
      fs.rmSync(sidecarFile(file), { force: true });
      const aside = quarantine(file);
      this.warn(`${e.message}; moved it aside to ${path.basename(aside)}, its sentences will be recomputed`);
    }
  }

  /** Indexes a part from its sidecar, or reads and checks the part whole and writes the sidecar. */
  private load(file: string): void {
    const stat = fs.statSync(file);
    const idx = readPartIndex(file, stat) ?? this.indexPart(file, stat);
    if (idx.fingerprint !== this.fingerprint || idx.dim !== this.dim) {
      throw new ForeignPartError(`cache part belongs to teacher ${idx.fingerprint} (dim ${idx.dim}), expected ${this.fingerprint} (dim ${this.dim})`, file);
    }
    this.loaded.add(path.basename(file));
    const p = this.parts.push({ file, offsets: idx.offsets, crcs: idx.crcs }) - 1;
    for (let r = 0; r < idx.rows; r++) this.index.setWords(idx.words, 4 * r, p, r);
  }

  private indexPart(file: string, stat: fs.Stats): PartIndex {
    const rows = readEmbeddingTable(file);
    const offsets = rows.rowOffsets!;
    if (offsets.some((o) => !Number.isFinite(o))) throw new DistillError('embedding rows are not stored in place in the file (unaligned Arrow buffers?); cannot index it', file);
    const crcs = new Uint32Array(rows.keys.length);
    const bytes = new Uint8Array(rows.embeddings.buffer, rows.embeddings.byteOffset, rows.embeddings.byteLength);
    for (let r = 0; r < crcs.length; r++) crcs[r] = zlib.crc32(bytes.subarray(4 * r * rows.dim, 4 * (r + 1) * rows.dim));
    return writePartIndex(file, stat, rows.metadata.fingerprint, rows.dim, rows.keys, offsets, crcs);
  }

  /** Indexes the complete parts another process added since this cache was opened; returns how many rows they added. */
  refresh(): number {
    const before = this.size;
    for (const f of fs.readdirSync(this.dir).sort()) {
      if (isPart(f) && !this.loaded.has(f)) this.loadOrQuarantine(path.join(this.dir, f));
    }
    return this.size - before;
  }

  get size(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.find(key) >= 0;
  }

  /** Copies the embedding of `key` into `out` at `offset`; false when absent (or its part was just found corrupt and moved aside). */
  read(key: string, out: Float32Array, offset = 0): boolean {
    const e = this.index.find(key);
    return e >= 0 && this.readRows([[e, offset]], out) === 0;
  }

  /**
   * Copies the embedding of keys[i] into `out` at i * dim, one open per
   * part; returns how many were not copied: absent, or failing their crc32
   * (their part is then moved aside, all its rows are absent from now on
   * and the caller computes them again).
   */
  readMany(keys: string[], out: Float32Array): number {
    const at: Array<[number, number]> = [];
    keys.forEach((k, i) => {
      const e = this.index.find(k);
      if (e >= 0) at.push([e, i * this.dim]);
    });
    return keys.length - at.length + this.readRows(at, out);
  }

  /** Positioned reads of index entries into `out`, grouped by part and in file order, each row checked against its crc32; returns the rows refused. */
  private readRows(at: Array<[number, number]>, out: Float32Array): number {
    const byPart = new Map<number, Array<[number, number]>>();
    for (const [e, o] of at) {
      const p = this.index.part(e);
      if (!byPart.has(p)) byPart.set(p, []);
      byPart.get(p)!.push([this.index.offset(e), o]);
    }
    const bytes = 4 * this.dim;
    const view = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    const corrupt: Array<{ file: string; rows: number[] }> = [];
    for (const [p, rows] of byPart) {
      const { file, offsets, crcs } = this.parts[p];
      const bad: number[] = [];
      const fd = fs.openSync(file, 'r');
      try {
        rows.sort((a, b) => a[0] - b[0]);
        for (const [r, o] of rows) {
          const pos = offsets[r];
          if (fs.readSync(fd, view, 4 * o, bytes, pos) !== bytes) throw new DistillError(`row at byte ${pos} is cut short (the part shrank after it was indexed)`, file);
          if (zlib.crc32(view.subarray(4 * o, 4 * o + bytes)) !== crcs[r]) bad.push(r);
        }
      } finally {
        fs.closeSync(fd);
      }
      if (bad.length) corrupt.push({ file, rows: bad });
    }
    if (!corrupt.length) return 0;
    for (const c of corrupt) this.setAside(c.file, c.rows);
    this.reindex();
    return corrupt.reduce((n, c) => n + c.rows.length, 0);
  }

  /** A part with rows that fail their crc32: named with the rows, moved aside with its index. */
  private setAside(file: string, rows: number[]): void {
    fs.rmSync(sidecarFile(file), { force: true });
    const aside = quarantine(file);
    this.warn(`${file}: ${rowRanges(rows)} ${rows.length === 1 ? 'fails its' : 'fail their'} crc32 (the part changed after it was indexed; its size and mtime did not); moved it aside to ${path.basename(aside)}, its sentences will be recomputed`);
  }

  /** The key index again from the parts' indexes, without those moved aside. */
  private reindex(): void {
    this.index = new KeyIndex();
    this.parts = [];
    this.loaded = new Set();
    this.refresh();
  }

  /** Adds rows as new complete part files (of at most MAX_PART_ROWS rows each); returns the first file. */
  add(keys: string[], embeddings: Float32Array, name = `part-${Date.now()}-${process.pid}.arrow`, metadata: Record<string, string> = {}): string {
    const file = path.join(this.dir, name);
    if (keys.length === 0) return file;
    if (!isPart(name) || keys.length <= MAX_PART_ROWS) return this.addPart(file, keys, embeddings, metadata);
    for (let s = 0; s < keys.length; s += MAX_PART_ROWS) {
      const piece = path.join(this.dir, name.replace(/\.arrow$/, `-${String(s / MAX_PART_ROWS).padStart(4, '0')}.arrow`));
      this.addPart(piece, keys.slice(s, s + MAX_PART_ROWS), embeddings.subarray(s * this.dim, (s + MAX_PART_ROWS) * this.dim), metadata);
    }
    return file.replace(/\.arrow$/, '-0000.arrow');
  }

  private addPart(file: string, keys: string[], embeddings: Float32Array, metadata: Record<string, string>): string {
    whileWriting('teacher-cache part', () => writeEmbeddingTable(file, { keys, embeddings, dim: this.dim, metadata: { ...metadata, fingerprint: this.fingerprint } }));
    if (isPart(path.basename(file))) whileWriting('teacher-cache part index', () => this.load(file));
    return file;
  }
}

/** "row 7" or "rows 3-5, 9" (row numbers within the part). */
function rowRanges(rows: number[]): string {
  const sorted = [...rows].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    out.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return `${sorted.length === 1 ? 'row' : 'rows'} ${out.join(', ')}`;
}

function isPart(name: string): boolean {
  return name.startsWith('part-') && name.endsWith('.arrow');
}
