import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic_write';
import { DistillError } from '../util/errors';

/**
 * One chunk of a prepared dataset, in memory: `rows` training rows of
 * `groupSize` sentences each (1, or 3 for triplets), sentence-major.
 * On disk (little-endian, no header; sizes come from the manifest):
 * Int32 lengths[sentences] | Int32 ids[sum of lengths] | Float32 teacher[sentences * dim].
 */
export interface Chunk {
  rows: number;
  lengths: Int32Array;
  ids: Int32Array;
  teacher: Float32Array;
}

/** What the manifest records of a chunk file, enough to read and verify it without opening any other. */
export interface ChunkEntry {
  file: string;
  rows: number;
  tokens: number;
  bytes: number;
  sha256: string;
}

export function chunkFileName(index: number): string {
  return `chunk-${String(index).padStart(6, '0')}.bin`;
}

/** Writes a chunk atomically; returns its manifest entry. */
export function writeChunk(dir: string, index: number, c: Chunk): ChunkEntry {
  littleEndian(dir);
  const parts = [c.lengths, c.ids, c.teacher].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  const bytes = Buffer.concat(parts);
  const file = chunkFileName(index);
  writeFileAtomic(path.join(dir, file), bytes);
  return { file, rows: c.rows, tokens: c.ids.length, bytes: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Reads one chunk with positioned reads into a fresh aligned buffer (never a
 * whole-dataset file, so no 2 GB limit applies) and checks its size and
 * checksum against the manifest before any byte is used.
 */
export function readChunk(dir: string, e: ChunkEntry, groupSize: number, dim: number): Chunk {
  const file = path.join(dir, e.file);
  littleEndian(file);
  const sentences = e.rows * groupSize;
  const expected = 4 * (sentences + e.tokens + sentences * dim);
  if (e.bytes !== expected) throw new DistillError(`manifest says ${e.bytes} bytes, its row and token counts give ${expected}`, file);
  const bytes = new Uint8Array(e.bytes);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    if (size !== e.bytes) throw new DistillError(`${size} bytes, manifest says ${e.bytes} (truncated or replaced?)`, file);
    for (let at = 0; at < e.bytes;) {
      const n = fs.readSync(fd, bytes, at, e.bytes - at, at);
      if (n === 0) throw new DistillError(`ended at byte ${at}, manifest says ${e.bytes}`, file);
      at += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  const sha = crypto.createHash('sha256').update(bytes).digest('hex');
  if (sha !== e.sha256) throw new DistillError(`checksum mismatch (sha256 ${sha.slice(0, 12)}…, manifest ${e.sha256.slice(0, 12)}…): the chunk is corrupt; delete its folder (${dir}) and the next run prepares it again from the teacher cache`, file);
  const lengths = new Int32Array(bytes.buffer, 0, sentences);
  const ids = new Int32Array(bytes.buffer, 4 * sentences, e.tokens);
  const teacher = new Float32Array(bytes.buffer, 4 * (sentences + e.tokens), sentences * dim);
  const sum = lengths.reduce((a, b) => a + b, 0);
  if (sum !== e.tokens) throw new DistillError(`sentence lengths add up to ${sum} tokens, manifest says ${e.tokens}`, file);
  return { rows: e.rows, lengths, ids, teacher };
}

/** Typed arrays are written as they lie in memory: refuse rather than misread on a big-endian machine. */
function littleEndian(where: string): void {
  if (os.endianness() !== 'LE') throw new DistillError('prepared datasets are stored little-endian; this machine is big-endian', where);
}
