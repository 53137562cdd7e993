import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { sentenceKey } from '../../src/data/sentence_key';
import { readEmbeddingTable, TABLE_BATCH_ROWS, writeEmbeddingTable } from '../../src/teacher/embedding_table';
import { EmbeddingTableStream } from '../../src/teacher/embedding_table_stream';
import { tmpDir } from '../helpers/env';

const DIM = 16;

test('an embedding table is streamed a record batch at a time, checked like a whole read, and never read whole', async () => {
  const n = 2 * TABLE_BATCH_ROWS + 123;
  const keys = Array.from({ length: n }, (_, i) => sentenceKey(`row ${i}`));
  const embeddings = Float32Array.from({ length: n * DIM }, (_, i) => Math.cos(i));
  const file = path.join(tmpDir(), 'shard-00000-of-00001.arrow');
  writeEmbeddingTable(file, { keys, embeddings, dim: DIM, metadata: { shard: '0' } });
  assert.deepEqual(readEmbeddingTable(file).keys, keys, 'a whole read still reads it');

  const size = fs.statSync(file).size;
  const t = await EmbeddingTableStream.open(file);
  const reads: number[] = [];
  const handle = (t as unknown as { handle: fs.promises.FileHandle }).handle;
  const read = handle.read.bind(handle);
  (handle as unknown as { read: unknown }).read = (buf: Buffer, off: number, len: number, pos: number) => (reads.push(len), read(buf, off, len, pos));
  try {
    assert.equal(t.metadata.shard, '0');
    assert.deepEqual(await t.verifiedKeys(), keys);
    const got: number[] = [];
    let batches = 0;
    for await (const b of t.batches()) (batches++, got.push(...b.embeddings));
    assert.equal(batches, 3);
    assert.ok(Buffer.from(Float32Array.from(got).buffer).equals(Buffer.from(embeddings.buffer)), 'rows in order, bit for bit');
    assert.ok(Math.max(...reads) < size / 2, `largest read ${Math.max(...reads)} bytes of a ${size}-byte file`);
  } finally {
    await t.close();
  }

  // A flipped bit in the last batch's rows: the checksum names the file.
  const bytes = fs.readFileSync(file);
  const at = readEmbeddingTable(file).rowOffsets![n - 1];
  bytes[at + 2] ^= 0x04;
  fs.writeFileSync(file, bytes);
  const bad = await EmbeddingTableStream.open(file);
  try {
    await assert.rejects(bad.verifiedKeys(), (e: Error) => e.message.startsWith(`${file}: checksum mismatch`));
  } finally {
    await bad.close();
  }
  fs.writeFileSync(file, bytes.subarray(0, bytes.length - 100));
  await assert.rejects(EmbeddingTableStream.open(file), (e: Error) => e.message === `${file}: not a complete Arrow IPC file (missing "ARROW1" magic; truncated?)`);
});
