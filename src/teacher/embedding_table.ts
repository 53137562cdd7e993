import * as crypto from 'crypto';
import * as fs from 'fs';
import { Field, FixedSizeList, Float32, makeData, makeVector, RecordBatch, Schema, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { DistillError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic_write';

/** A key -> embedding table as stored on disk: columns `key` (utf8), `embedding` (fixed_size_list<float32>[dim]). */
export interface EmbeddingRows {
  keys: string[];
  embeddings: Float32Array;
  dim: number;
  metadata: Record<string, string>;
  /** Byte offset in the file of each row's embedding (for positioned reads of single rows later). */
  rowOffsets?: Float64Array;
}

/**
 * sha256 of what a reader uses: the metadata (but the checksum itself), the
 * keys and the embedding bytes. Stored in the schema metadata as `sha256`.
 */
function tableChecksum(metadata: Record<string, string>, keys: string[], embeddings: Float32Array): string {
  return checksumHead(metadata, keys).update(new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength)).digest('hex');
}

/** The checksum's hash fed with metadata and keys; the embedding bytes follow, in row order (so they can be fed a batch at a time). */
export function checksumHead(metadata: Record<string, string>, keys: string[]): crypto.Hash {
  const meta = Object.fromEntries(Object.entries(metadata).filter(([k]) => k !== 'sha256').sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return crypto.createHash('sha256').update(JSON.stringify(meta)).update('\n').update(JSON.stringify(keys)).update('\n');
}

/** Rows per Arrow record batch: a streamed reader (embedding_table_stream.ts) holds one batch at a time. */
export const TABLE_BATCH_ROWS = 4096;

/**
 * Writes atomically (util/atomic_write), so a killed writer never leaves a
 * file that looks complete, with a checksum so later corruption is caught.
 */
export function writeEmbeddingTable(file: string, rows: EmbeddingRows): void {
  const n = rows.keys.length;
  const metadata: Record<string, string> = { ...rows.metadata, rows: String(n), dim: String(rows.dim) };
  metadata.sha256 = tableChecksum(metadata, rows.keys, rows.embeddings.subarray(0, n * rows.dim));
  const pieces: Table[] = [];
  for (let s = 0; s < n || s === 0; s += TABLE_BATCH_ROWS) pieces.push(tableOf(rows.keys.slice(s, s + TABLE_BATCH_ROWS), rows.embeddings.subarray(s * rows.dim, Math.min(n, s + TABLE_BATCH_ROWS) * rows.dim), rows.dim));
  const schema = new Schema(pieces[0].schema.fields, new Map(Object.entries(metadata)));
  const table = new Table(schema, pieces.flatMap((p) => p.batches.map((b) => new RecordBatch(schema, b.data))));
  writeFileAtomic(file, tableToIPC(table, 'file'));
}

function tableOf(keys: string[], embeddings: Float32Array, dim: number): Table {
  const child = makeData({ type: new Float32(), length: keys.length * dim, nullCount: 0, data: embeddings });
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  return new Table({ key: vectorFromArray(keys, new Utf8()), embedding: makeVector(makeData({ type: listType, length: keys.length, nullCount: 0, child })) });
}

/**
 * Reads a table written above and checks it is whole: footer magic, row
 * count and width against its own metadata, and the checksum. Tables written
 * before checksums existed have no `sha256` and are read unverified.
 */
export function readEmbeddingTable(file: string): EmbeddingRows {
  // A fresh (8-byte aligned) buffer: Arrow then views the floats in place, which gives each row's file offset.
  const bytes = readWhole(file);
  try {
    return decodeTable(file, bytes);
  } catch (e) {
    // A flipped bit can break the Arrow structure in ways the decoder reports as a TypeError or RangeError.
    if (e instanceof DistillError) throw e;
    throw new DistillError(`corrupt Arrow IPC file (${(e as Error).message})`, file, { cause: e });
  }
}

function readWhole(file: string): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = Buffer.from(new ArrayBuffer(size));
    for (let at = 0; at < size;) {
      const n = fs.readSync(fd, bytes, at, size - at, at);
      if (n === 0) break;
      at += n;
    }
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

function decodeTable(file: string, bytes: Buffer): EmbeddingRows {
  if (bytes.length < 12 || bytes.subarray(0, 6).toString('latin1') !== 'ARROW1' || bytes.subarray(bytes.length - 6).toString('latin1') !== 'ARROW1') {
    throw new DistillError('not a complete Arrow IPC file (missing "ARROW1" magic; truncated?)', file);
  }
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (e) {
    throw new DistillError(`corrupt Arrow IPC file (${(e as Error).message})`, file);
  }
  const metadata = Object.fromEntries(table.schema.metadata);
  const dim = Number(metadata.dim);
  const rows = Number(metadata.rows);
  const keyCol = table.getChild('key');
  const embCol = table.getChild('embedding');
  if (!keyCol || !embCol || !Number.isInteger(dim) || table.numRows !== rows) {
    throw new DistillError(`incomplete embedding table: ${table.numRows} rows, metadata says ${metadata.rows}; expected columns key, embedding`, file);
  }
  const keys: string[] = new Array(rows);
  const embeddings = new Float32Array(rows * dim);
  const rowOffsets = new Float64Array(rows);
  let r = 0;
  for (const batch of table.batches) {
    const k = batch.getChild('key')!;
    const list = batch.getChild('embedding')!.data[0];
    const values = list.children[0];
    const first = values.offset + list.offset * dim;
    const flat = (values.values as Float32Array).subarray(first, first + batch.numRows * dim);
    embeddings.set(flat, r * dim);
    const inFile = flat.buffer === bytes.buffer ? flat.byteOffset - bytes.byteOffset : NaN;
    for (let i = 0; i < batch.numRows; i++) rowOffsets[r + i] = inFile + i * dim * 4;
    for (let i = 0; i < batch.numRows; i++) keys[r + i] = k.get(i) as string;
    r += batch.numRows;
  }
  if (metadata.sha256 !== undefined) {
    const sha = tableChecksum(metadata, keys, embeddings);
    if (sha !== metadata.sha256) throw new DistillError(`checksum mismatch (sha256 ${sha.slice(0, 12)}…, stored ${metadata.sha256.slice(0, 12)}…): the file is corrupt`, file);
  }
  return { keys, embeddings, dim, metadata, rowOffsets };
}
