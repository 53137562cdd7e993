import { Rng } from '../util/rng';

/** How a training set is cut: rows per chunk (in dataset order), and how many chunks one shuffle window holds. */
export interface ChunkLayout {
  chunkRows: number[];
  windowChunks: number;
}

/**
 * One epoch's order, known without reading any data: which chunks form each
 * window, how many batches each window gives, and the RNG state its batch
 * plan starts from. Batch i of the epoch is then found from the counts alone,
 * which is what lets a resumed run jump to its cursor.
 */
export interface EpochWindows {
  /** Chunk ids of each window, ascending (the rows are shuffled inside the window anyway). */
  chunks: number[][];
  rows: number[];
  batches: number[];
  rngStart: number[];
  /** RNG state after the whole epoch's plan (the next epoch starts from it). */
  rngEnd: number;
  totalBatches: number;
}

/** Salt of the chunk-order RNG, so ordering chunks draws nothing from the batch RNG. */
const CHUNK_ORDER_SALT = 0x5bd1e995;

/**
 * Per epoch: a seeded permutation of the full chunks (a short last chunk
 * stays last, so every epoch has the same window sizes and batch count), cut
 * into windows of `windowChunks`. Each window's batch plan (planBatches)
 * draws from one RNG in window order; a plan draws one number per row but
 * the first and, bucketed, one per batch but the first, so the state at
 * each window's start follows from the counts (Rng.advance). A data set of
 * one window plans exactly as an in-memory one: same RNG, same draws.
 */
export function planEpochWindows(layout: ChunkLayout, batchSize: number, rngState: number, bucketed: boolean): EpochWindows {
  const n = layout.chunkRows.length;
  const full = layout.chunkRows[0] ?? 0;
  const ids = Array.from({ length: n }, (_, i) => i);
  const order = new Rng(rngState ^ CHUNK_ORDER_SALT).shuffle(ids.filter((i) => layout.chunkRows[i] === full)).concat(ids.filter((i) => layout.chunkRows[i] !== full));
  const out: EpochWindows = { chunks: [], rows: [], batches: [], rngStart: [], rngEnd: rngState, totalBatches: 0 };
  const rng = new Rng(rngState);
  for (let w = 0; w < n; w += layout.windowChunks) {
    const chunks = order.slice(w, w + layout.windowChunks).sort((a, b) => a - b);
    const rows = chunks.reduce((s, c) => s + layout.chunkRows[c], 0);
    const batches = Math.ceil(rows / batchSize);
    out.chunks.push(chunks);
    out.rows.push(rows);
    out.batches.push(batches);
    out.rngStart.push(rng.state);
    rng.advance(Math.max(0, rows - 1) + (bucketed ? Math.max(0, batches - 1) : 0));
    out.totalBatches += batches;
  }
  out.rngEnd = rng.state;
  return out;
}

/** Which window batch `i` of the epoch falls in, and its index inside that window. */
export function locateBatch(plan: EpochWindows, i: number): { window: number; batch: number } {
  let rest = i;
  for (let w = 0; w < plan.batches.length; w++) {
    if (rest < plan.batches[w]) return { window: w, batch: rest };
    rest -= plan.batches[w];
  }
  throw new RangeError(`batch ${i} is past the epoch's ${plan.totalBatches} batches`);
}
