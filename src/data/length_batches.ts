import { Rng } from '../util/rng';

/** How many batches' worth of rows are sorted together: large enough to pad little, small enough to stay random. */
const POOL_BATCHES = 50;

/**
 * Groups row indices into batches. Bucketed: shuffle, then sort by length
 * inside pools of POOL_BATCHES batches and shuffle the batch order, so each
 * batch holds similar lengths (little padding) while epochs stay random.
 */
export function planBatches(lengths: number[], batchSize: number, rng: Rng, bucketed = true): number[][] {
  const idx = rng.shuffle(lengths.map((_, i) => i));
  const batches: number[][] = [];
  const pool = bucketed ? batchSize * POOL_BATCHES : idx.length;
  for (let p = 0; p < idx.length; p += pool) {
    const chunk = idx.slice(p, p + pool);
    if (bucketed) chunk.sort((a, b) => lengths[a] - lengths[b]);
    for (let b = 0; b < chunk.length; b += batchSize) batches.push(chunk.slice(b, b + batchSize));
  }
  return bucketed ? rng.shuffle(batches) : batches;
}

/** Share of token slots that are padding when each batch pads to its longest row. */
export function paddingFraction(lengths: number[], batches: number[][]): number {
  let real = 0;
  let padded = 0;
  for (const b of batches) {
    let max = 0;
    for (const i of b) {
      real += lengths[i];
      max = Math.max(max, lengths[i]);
    }
    padded += max * b.length;
  }
  return padded ? 1 - real / padded : 0;
}
