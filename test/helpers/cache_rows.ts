import * as fs from 'fs';
import * as path from 'path';
import { readEmbeddingTable } from '../../src/teacher/embedding_table';

/** Every row of a cache root (one teacher folder), key -> embedding bytes; and the shard files left in it. */
export function cacheRows(root: string): { rows: Map<string, Buffer>; shards: string[] } {
  const [teacher] = fs.readdirSync(root).filter((f) => f !== 'onnx');
  const dir = path.join(root, teacher);
  const rows = new Map<string, Buffer>();
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith('part-') && f.endsWith('.arrow'))) {
    const t = readEmbeddingTable(path.join(dir, f));
    t.keys.forEach((k, r) => rows.set(k, Buffer.from(t.embeddings.buffer, t.embeddings.byteOffset + r * t.dim * 4, t.dim * 4)));
  }
  return { rows, shards: fs.readdirSync(dir).filter((f) => f.startsWith('shard-')) };
}

/** Keys of `reference` whose row in `rows` is missing or not bit-identical. */
export function differingKeys(rows: Map<string, Buffer>, reference: Map<string, Buffer>): string[] {
  return [...reference].filter(([k, v]) => !rows.get(k)?.equals(v)).map(([k]) => k);
}
