import * as fs from 'fs';
import { AsyncRecordBatchFileReader, RecordBatch, RecordBatchReader } from 'apache-arrow';
import { DistillError } from '../util/errors';
import { checksumHead } from './embedding_table';

/** One record batch of an embedding table: its keys and rows (row-major). */
export interface TableBatch {
  keys: string[];
  embeddings: Float32Array;
}

/**
 * A table written by writeEmbeddingTable, read one record batch at a time
 * with positioned reads (the footer says where each batch lies): memory
 * holds one batch (TABLE_BATCH_ROWS rows), and the keys when asked for,
 * whatever the file size. What readEmbeddingTable checks is checked here
 * too, in two passes: keys first, as the checksum takes them before the
 * embedding bytes.
 */
export class EmbeddingTableStream {
  private constructor(readonly file: string, private readonly handle: fs.promises.FileHandle, private readonly reader: AsyncRecordBatchFileReader,
    readonly metadata: Record<string, string>, readonly dim: number, readonly rows: number) {}

  static async open(file: string): Promise<EmbeddingTableStream> {
    const handle = await fs.promises.open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const magic = async (at: number) => (await handle.read(Buffer.alloc(6), 0, 6, at)).buffer.toString('latin1');
      if (size < 12 || (await magic(0)) !== 'ARROW1' || (await magic(size - 6)) !== 'ARROW1') throw new DistillError('not a complete Arrow IPC file (missing "ARROW1" magic; truncated?)', file);
      const reader = await guard(file, async () => {
        const r = await RecordBatchReader.from(handle);
        await r.open();
        if (!r.isFile()) throw new Error('not in the IPC file format');
        return r as AsyncRecordBatchFileReader;
      });
      const metadata = Object.fromEntries(reader.schema.metadata);
      const dim = Number(metadata.dim);
      if (!reader.schema.fields.some((f) => f.name === 'key') || !reader.schema.fields.some((f) => f.name === 'embedding') || !Number.isInteger(dim)) {
        throw new DistillError(`incomplete embedding table: metadata says ${metadata.rows} rows of dim ${metadata.dim}; expected columns key, embedding`, file);
      }
      return new EmbeddingTableStream(file, handle, reader, metadata, dim, Number(metadata.rows));
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** The record batches in order. */
  async *batches(): AsyncGenerator<TableBatch> {
    for (let i = 0; i < this.reader.numRecordBatches; i++) {
      const b = await guard(this.file, async () => (await this.reader.readRecordBatch(i)) as RecordBatch | null);
      if (!b) throw new DistillError(`record batch ${i} of ${this.reader.numRecordBatches} cannot be read`, this.file);
      yield this.rowsOf(b);
    }
  }

  private rowsOf(b: RecordBatch): TableBatch {
    const k = b.getChild('key')!;
    const list = b.getChild('embedding')!.data[0];
    const values = list.children[0];
    const first = values.offset + list.offset * this.dim;
    const keys: string[] = new Array(b.numRows);
    for (let i = 0; i < b.numRows; i++) keys[i] = k.get(i) as string;
    return { keys, embeddings: (values.values as Float32Array).subarray(first, first + b.numRows * this.dim) };
  }

  /** Every key, after checking row count and (when the table has one) the sha256 over the whole table; throws naming the file. */
  async verifiedKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const b of this.batches()) for (const k of b.keys) keys.push(k);
    if (keys.length !== this.rows) throw new DistillError(`incomplete embedding table: ${keys.length} rows, metadata says ${this.metadata.rows}`, this.file);
    if (this.metadata.sha256 === undefined) return keys;
    const hash = checksumHead(this.metadata, keys);
    for await (const b of this.batches()) hash.update(new Uint8Array(b.embeddings.buffer, b.embeddings.byteOffset, b.embeddings.byteLength));
    const sha = hash.digest('hex');
    if (sha !== this.metadata.sha256) throw new DistillError(`checksum mismatch (sha256 ${sha.slice(0, 12)}…, stored ${this.metadata.sha256.slice(0, 12)}…): the file is corrupt`, this.file);
    return keys;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Arrow's own decode errors (a flipped bit can surface as a TypeError or RangeError) as a DistillError naming the file. */
async function guard<T>(file: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof DistillError) throw e;
    throw new DistillError(`corrupt Arrow IPC file (${(e as Error).message})`, file, { cause: e });
  }
}
