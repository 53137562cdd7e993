import { SentenceModel } from '../model/sentence_model';
import { encodeSentences } from '../model/sentence_encoder';
import { DistillError } from '../util/errors';
import { Evaluator } from './evaluator';

/**
 * Mean squared error x100 between student and teacher sentence embeddings
 * (sentence-transformers' MSEEvaluator, which reports it negated). The dev
 * metric when held-out data has no gold scores: lower is better.
 */
export class MseEvaluator implements Evaluator {
  readonly name = 'mse_to_teacher';
  readonly greaterIsBetter = false;
  readonly description: string;

  constructor(private readonly sentences: string[], private readonly teacher: Float32Array, private readonly dim: number, private readonly batchSize = 64) {
    if (teacher.length !== sentences.length * dim) {
      throw new DistillError(`teacher embeddings hold ${teacher.length} values, expected ${sentences.length} sentences x ${dim}`, 'MseEvaluator');
    }
    this.description = `MSE x100 to the teacher on ${sentences.length} held-out sentences`;
  }

  async evaluate(model: SentenceModel): Promise<number> {
    const r = await encodeSentences(model, this.sentences, { batchSize: this.batchSize });
    if (r.dim !== this.dim) throw new DistillError(`student embeddings are ${r.dim}-dimensional, the teacher's ${this.dim}: MSE needs equal widths`, 'MseEvaluator');
    let sum = 0;
    for (let i = 0; i < r.embeddings.length; i++) {
      const d = r.embeddings[i] - this.teacher[i];
      sum += d * d;
    }
    return (100 * sum) / Math.max(1, r.embeddings.length);
  }
}
