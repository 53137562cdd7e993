import * as fs from 'fs';
import { writeFileAtomic } from '../util/atomic_write';
import { keyWords } from '../util/key_index';

/** Version 2 adds each row's crc32; a version-1 index is stale (the part is read, checked whole and indexed again, once). */
const MAGIC = 'DTIDX002';

/**
 * The on-disk index of one cache part, `<part>.idx` beside it: each row's
 * key (4 words) and the byte offset of its embedding in the part. Opening a
 * cache reads these (24 bytes a row) instead of the parts (4 * dim bytes a
 * row); rows are then read one by one with positioned reads. The header
 * records the part's size and mtime: a part replaced or modified since (a
 * rewrite, a truncation) makes the index stale, and the part is read and
 * checked whole again.
 */
export interface PartIndex {
  fingerprint: string;
  dim: number;
  rows: number;
  /** Row r's key is words[4r..4r+4]. */
  words: Uint32Array;
  offsets: Float64Array;
  /** crc32 of row r's embedding bytes. */
  crcs: Uint32Array;
}

export function sidecarFile(part: string): string {
  return `${part}.idx`;
}

export function writePartIndex(part: string, stat: fs.Stats, fingerprint: string, dim: number, keys: string[], offsets: Float64Array, crcs: Uint32Array): PartIndex {
  const words = new Uint32Array(4 * keys.length);
  keys.forEach((k, r) => keyWords(k, words, 4 * r));
  let header = Buffer.from(JSON.stringify({ rows: keys.length, dim, fingerprint, partBytes: stat.size, partMtimeMs: stat.mtimeMs }));
  // Pad so the key and offset arrays start 8-byte aligned.
  header = Buffer.concat([header, Buffer.alloc((8 - ((12 + header.length) % 8)) % 8, 0x20)]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  writeFileAtomic(sidecarFile(part), Buffer.concat([Buffer.from(MAGIC, 'latin1'), len, header, Buffer.from(words.buffer), Buffer.from(offsets.buffer, offsets.byteOffset, offsets.byteLength), Buffer.from(crcs.buffer, crcs.byteOffset, crcs.byteLength)]));
  return { fingerprint, dim, rows: keys.length, words, offsets, crcs };
}

/** The part's index if present, whole and made from this very part file; else null (it is rebuilt). */
export function readPartIndex(part: string, stat: fs.Stats): PartIndex | null {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(sidecarFile(part));
  } catch {
    return null;
  }
  if (bytes.length < 12 || bytes.subarray(0, 8).toString('latin1') !== MAGIC) return null;
  const hlen = bytes.readUInt32LE(8);
  let h: { rows: number; dim: number; fingerprint: string; partBytes: number; partMtimeMs: number };
  try {
    h = JSON.parse(bytes.subarray(12, 12 + hlen).toString('utf8'));
  } catch {
    return null;
  }
  const start = 12 + hlen;
  if (h.partBytes !== stat.size || h.partMtimeMs !== stat.mtimeMs || bytes.length !== start + 28 * h.rows) return null;
  const body = new Uint8Array(bytes.length - start);
  body.set(bytes.subarray(start));
  return {
    fingerprint: h.fingerprint, dim: h.dim, rows: h.rows, words: new Uint32Array(body.buffer, 0, 4 * h.rows),
    offsets: new Float64Array(body.buffer, 16 * h.rows, h.rows), crcs: new Uint32Array(body.buffer, 24 * h.rows, h.rows),
  };
}
