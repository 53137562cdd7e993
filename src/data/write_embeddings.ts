import * as path from 'path';
import { Field, FixedSizeList, Float32, makeData, makeVector, Table, tableToIPC, vectorFromArray, Utf8 } from 'apache-arrow';
import { DistillError } from '../util/errors';
import { writeFileAtomic } from '../util/atomic_write';

export const EMBEDDING_FORMATS = ['.arrow', '.jsonl'];

/** Arrow table: `sentence` (utf8) and `embedding` (fixed_size_list<float32>[dim]). */
export function embeddingsTable(sentences: string[], embeddings: Float32Array, dim: number): Table {
  const n = sentences.length;
  const child = makeData({ type: new Float32(), length: n * dim, nullCount: 0, data: embeddings });
  const listType = new FixedSizeList(dim, new Field('item', new Float32(), false));
  const list = makeData({ type: listType, length: n, nullCount: 0, child });
  return new Table({ sentence: vectorFromArray(sentences, new Utf8()), embedding: makeVector(list) });
}

/**
 * Writes embeddings as Arrow IPC (file format) or JSONL, atomically
 * (util/atomic_write), so a crash never leaves a half-written file that
 * looks complete. OS errors (ENOSPC, EACCES...) propagate with the file's path.
 */
export function writeEmbeddings(file: string, sentences: string[], embeddings: Float32Array, dim: number): void {
  const ext = path.extname(file).toLowerCase();
  if (!EMBEDDING_FORMATS.includes(ext)) {
    throw new DistillError(`unsupported output extension "${ext}"; supported: ${EMBEDDING_FORMATS.join(', ')}`, file);
  }
  if (ext === '.arrow') writeFileAtomic(file, tableToIPC(embeddingsTable(sentences, embeddings, dim), 'file'));
  else writeFileAtomic(file, jsonlRows(sentences, embeddings, dim));
}

function* jsonlRows(sentences: string[], embeddings: Float32Array, dim: number): Generator<string> {
  for (let i = 0; i < sentences.length; i++) {
    yield JSON.stringify({ sentence: sentences[i], embedding: Array.from(embeddings.subarray(i * dim, (i + 1) * dim)) }) + '\n';
  }
}
