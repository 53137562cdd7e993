import { readChunk } from '../data/prepared_chunks';
import { PreparedManifest } from '../data/prepared_manifest';
import { TrainData } from './train_data';
import { TrainSource } from './train_source';

/** Shuffle windows of a prepared dataset hold this many chunks (with 4096-row chunks: 32768 rows). */
export const WINDOW_CHUNKS = 8;

/**
 * A prepared dataset read a window at a time. Each load reads its chunks
 * one by one (checksummed) into one window-sized TrainData and lets the
 * previous window go, so memory is one window whatever the dataset size.
 * `residentChunks` / `peakResidentChunks` count what is held, for tests.
 */
export class PreparedSource implements TrainSource {
  readonly layout;
  readonly rows: number;
  readonly groupSize: number;
  readonly teacherDim: number;
  residentChunks = 0;
  peakResidentChunks = 0;
  chunksRead = 0;

  constructor(private readonly dir: string, private readonly manifest: PreparedManifest, windowChunks = WINDOW_CHUNKS) {
    this.layout = { chunkRows: manifest.chunks.map((c) => c.rows), windowChunks };
    this.rows = manifest.rows;
    this.groupSize = manifest.groupSize;
    this.teacherDim = manifest.dim;
  }

  loadWindow(chunks: number[]): TrainData {
    this.residentChunks = 0;
    const m = this.manifest;
    const g = m.groupSize;
    const sentences = chunks.reduce((s, c) => s + m.chunks[c].rows * g, 0);
    const tokens = chunks.reduce((s, c) => s + m.chunks[c].tokens, 0);
    const allIds = new Int32Array(tokens);
    const teacher = new Float32Array(sentences * m.dim);
    const ids: Int32Array[] = new Array(sentences);
    let s = 0;
    let t = 0;
    for (const c of chunks) {
      const chunk = readChunk(this.dir, m.chunks[c], g, m.dim);
      this.chunksRead++;
      allIds.set(chunk.ids, t);
      teacher.set(chunk.teacher, s * m.dim);
      for (let i = 0; i < chunk.lengths.length; i++) {
        ids[s + i] = allIds.subarray(t, t + chunk.lengths[i]);
        t += chunk.lengths[i];
      }
      s += chunk.lengths.length;
      this.residentChunks++;
    }
    this.peakResidentChunks = Math.max(this.peakResidentChunks, this.residentChunks);
    const rows = Array.from({ length: sentences / g }, (_, r) => Array.from({ length: g }, (_, k) => r * g + k));
    return { ids, teacher, teacherDim: m.dim, padId: m.padId, rows };
  }
}
