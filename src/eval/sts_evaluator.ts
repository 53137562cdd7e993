import { PairRecord } from '../data/dataset_spec';
import { SentenceModel } from '../model/sentence_model';
import { evaluatePairs } from './eval_files';
import { Evaluator } from './evaluator';

/** Spearman x100 of pair cosines against gold scores (sentence-transformers' EmbeddingSimilarityEvaluator). */
export class StsEvaluator implements Evaluator {
  readonly name = 'spearman';
  readonly greaterIsBetter = true;
  readonly description: string;

  constructor(private readonly pairs: PairRecord[], private readonly batchSize = 64) {
    this.description = `STS Spearman x100 on ${pairs.length} dev pairs`;
  }

  async evaluate(model: SentenceModel): Promise<number> {
    return (await evaluatePairs(model, this.pairs, 'dev', this.batchSize)).spearman;
  }
}
