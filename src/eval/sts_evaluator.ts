import { PairRecord } from '../data/dataset_spec';
import { SentenceModel } from '../model/sentence_model';
import { evaluatePairs } from './eval_files';
import { Evaluator } from './evaluator';
import { checkGoldScores } from './spearman';

/** Spearman x100 of pair cosines against gold scores (sentence-transformers' EmbeddingSimilarityEvaluator). */
export class StsEvaluator implements Evaluator {
  readonly name = 'spearman';
  readonly greaterIsBetter = true;
  readonly description: string;

  /** `source` names the dev set in the error when its gold scores cannot be ranked (fewer than two, or all equal). */
  constructor(private readonly pairs: PairRecord[], private readonly batchSize = 64, source = 'dev pairs') {
    checkGoldScores(pairs.map((p) => p.score), source);
    this.description = `STS Spearman x100 on ${pairs.length} dev pairs`;
  }

  async evaluate(model: SentenceModel): Promise<number> {
    return (await evaluatePairs(model, this.pairs, 'dev', this.batchSize)).spearman;
  }
}
