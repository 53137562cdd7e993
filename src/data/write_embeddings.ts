import * as fs from 'fs';
import * as path from 'path';
import { Field, FixedSizeList, Float32, makeData, makeVector, Table, tableToIPC, vectorFromArray, Utf8 } from 'apache-arrow';
import { DistillError } from '../util/errors';

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
 * Writes embeddings as Arrow IPC (file format) or JSONL. Written to a
 * temporary name then renamed, so a crash never leaves a half-written file
 * that looks complete.
 */
export function writeEmbeddings(file: string, sentences: string[], embeddings: Float32Array, dim: number): void {
  const ext = path.extname(file).toLowerCase();
  if (!EMBEDDING_FORMATS.includes(ext)) {
    throw new DistillError(`unsupported output extension "${ext}"; supported: ${EMBEDDING_FORMATS.join(', ')}`, file);
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    if (ext === '.arrow') {
      fs.writeFileSync(tmp, tableToIPC(embeddingsTable(sentences, embeddings, dim), 'file'));
    } else {
      const fd = fs.openSync(tmp, 'w');
      for (let i = 0; i < sentences.length; i++) {
        const row = Array.from(embeddings.subarray(i * dim, (i + 1) * dim));
        fs.writeSync(fd, JSON.stringify({ sentence: sentences[i], embedding: row }) + '\n');
      }
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if (e instanceof DistillError) throw e;
    throw new DistillError(`cannot write embeddings (${(e as Error).message})`, file);
  }
}
