import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { defineLoss } from './loss_definition';

/**
 * sentence-transformers MarginMSELoss: rows are (query, positive, negative)
 * triplets; MSE between the student margin sim(q, p) - sim(q, n) and the
 * teacher's, with dot-product similarity. The teacher margin comes from its
 * cached embeddings of the same three texts.
 */
export const marginMseLoss = defineLoss({
  name: 'margin_mse',
  description: 'MSE between student and teacher margins sim(q, p) - sim(q, n) on triplets (sentence-transformers MarginMSELoss)',
  options: {},
  build(_options, ctx) {
    const margin = (e: tf.Tensor2D) => {
      const [n, d] = e.shape;
      if (n % 3 !== 0) throw new DistillError('margin_mse needs (query, positive, negative) rows; set data.train.kind: triplets', ctx.where);
      const g = e.reshape([n / 3, 3, d]);
      const [q, p, neg] = tf.unstack(g, 1);
      return q.mul(p).sum(1).sub(q.mul(neg).sum(1));
    };
    return {
      name: 'margin_mse',
      params: new Map(),
      needs: { triplets: true },
      compute: (s: StudentOutputs, t: TeacherTargets) => tf.tidy(() => margin(s.embedding).sub(margin(t.embedding)).square().mean() as tf.Scalar),
    };
  },
});
