import { planBatches } from '../data/length_batches';
import { Rng } from '../util/rng';
import { EpochWindows, locateBatch, planEpochWindows } from './epoch_windows';
import { batchSentences, makeBatch, rowLengths, StepBatch, TrainData } from './train_data';
import { TrainSource } from './train_source';

/**
 * The batches of one epoch, by index, loading one window at a time: moving
 * to another window drops the current one before the next is read, so at
 * most one window's chunks are in memory. Batch i is the same whether the
 * epoch is read from its start or entered at i by a resumed run.
 */
export class EpochBatches {
  readonly plan: EpochWindows;
  private current: { window: number; data: TrainData; batches: number[][] } | null = null;

  constructor(private readonly source: TrainSource, private readonly batchSize: number, rngState: number, private readonly bucketed: boolean) {
    this.plan = planEpochWindows(source.layout, batchSize, rngState, bucketed);
  }

  get count(): number {
    return this.plan.totalBatches;
  }

  /** Batch `i` of the epoch, padded and with its teacher rows. */
  batch(i: number): StepBatch {
    const at = locateBatch(this.plan, i);
    const w = this.window(at.window);
    return makeBatch(w.data, batchSentences(w.data, w.batches[at.batch]));
  }

  /** Window `window`'s data and batch plan (row indices into that data). */
  window(window: number): { data: TrainData; batches: number[][] } {
    if (this.current?.window !== window) {
      this.current = null;
      const data = this.source.loadWindow(this.plan.chunks[window]);
      const batches = planBatches(rowLengths(data), this.batchSize, new Rng(this.plan.rngStart[window]), this.bucketed);
      this.current = { window, data, batches };
    }
    return this.current;
  }
}
