import { ChunkLayout } from './epoch_windows';
import { TrainData } from './train_data';

/**
 * Training rows the loop reads a window at a time: a prepared dataset on
 * disk (prepared_source.ts) or rows already in memory (memorySource). The
 * loop plans from `layout` alone and asks for the rows of one window's
 * chunks when it reaches them.
 */
export interface TrainSource {
  layout: ChunkLayout;
  /** Training rows in all chunks. */
  rows: number;
  /** Sentences per row: 1, or 3 for (query, positive, negative) triplets. */
  groupSize: number;
  teacherDim: number;
  /**
   * The rows of these chunks (ascending ids), in chunk order, as in-memory
   * training data. Whatever the previous call returned may be released: the
   * loop holds one window at a time.
   */
  loadWindow(chunks: number[]): TrainData;
}

/** Rows already in memory: one chunk, one window, so an epoch plans exactly as planEpoch does. */
export function memorySource(data: TrainData): TrainSource {
  return {
    layout: { chunkRows: [data.rows.length], windowChunks: 1 },
    rows: data.rows.length,
    groupSize: data.rows[0]?.length ?? 1,
    teacherDim: data.teacherDim,
    loadWindow: () => data,
  };
}
