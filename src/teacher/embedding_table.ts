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
}

/** Writes atomically (util/atomic_write), so a killed writer never leaves a file that looks complete. */
export function writeEmbeddingTable(file: string, rows: EmbeddingRows): void {
  const n = rows.keys.length;
  const child = makeData({ type: new Float32(), length: n * rows.dim, nullCount: 0, data: rows.embeddings });
  const listType = new FixedSizeList(rows.dim, new Field('item', new Float32(), false));
  const base = new Table({ key: vectorFromArray(rows.keys, new Utf8()), embedding: makeVector(makeData({ type: listType, length: n, nullCount: 0, child })) });
  const meta = new Map(Object.entries({ ...rows.metadata, rows: String(n), dim: String(rows.dim) }));
  const schema = new Schema(base.schema.fields, meta);
  const table = new Table(schema, base.batches.map((b) => new RecordBatch(schema, b.data)));
  writeFileAtomic(file, tableToIPC(table, 'file'));
}

/** Reads a table written above and checks it is whole: footer magic, row count and width against its own metadata. */
export function readEmbeddingTable(file: string): EmbeddingRows {
  const bytes = fs.readFileSync(file);
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
  let r = 0;
  for (const batch of table.batches) {
    const k = batch.getChild('key')!;
    const values = batch.getChild('embedding')!.data[0].children[0];
    const flat = (values.values as Float32Array).subarray(values.offset + batch.getChild('embedding')!.data[0].offset * dim, values.offset + (batch.getChild('embedding')!.data[0].offset + batch.numRows) * dim);
    embeddings.set(flat, r * dim);
    for (let i = 0; i < batch.numRows; i++) keys[r + i] = k.get(i) as string;
    r += batch.numRows;
  }
  return { keys, embeddings, dim, metadata };
}
