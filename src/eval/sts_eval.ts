import { PairRecord } from '../data/dataset_spec';
import { SentenceModel } from '../model/sentence_model';
import { evaluatePairs } from './eval_files';

export interface StsResult {
  /** Spearman x100 of cosine similarity vs gold scores. */
  spearman: number;
  pairs: number;
}

/** Dev evaluation during training: Spearman x100 of pair cosines against gold. */
export async function evaluateSts(model: SentenceModel, pairs: PairRecord[], batchSize = 64): Promise<StsResult> {
  const r = await evaluatePairs(model, pairs, 'dev', batchSize);
  return { spearman: r.spearman, pairs: r.pairs };
}
