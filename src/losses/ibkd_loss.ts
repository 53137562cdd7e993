import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';
import { meanPool } from '../model/pooling';
import { medianOffDiagonal, medianOffDiagonalSync } from './median_off_diagonal';
import { projectionHead } from './projection_head';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { defineLoss } from './loss_definition';

/** RBF kernel exp(-gamma * ||x_i - x_j||^2) and the squared distances it used. */
function rbf(x: tf.Tensor2D, gamma: number | 'median'): tf.Tensor2D {
  return tf.tidy(() => {
    const sq = x.square().sum(1, true);
    const d2 = sq.add(sq.transpose()).sub(tf.matMul(x, x, false, true).mul(2)).relu() as tf.Tensor2D;
    if (gamma !== 'median') return d2.mul(-gamma).exp() as tf.Tensor2D;
    // Median of off-diagonal squared distances, per batch, treated as a constant (no gradient).
    // webgpu cannot read synchronously in Node, so there it is selected on the device (the same value).
    if (tf.getBackend() === 'webgpu') return d2.mul(tf.scalar(-1).div(medianOffDiagonal(d2).maximum(1e-12))).exp() as tf.Tensor2D;
    return d2.mul(-1 / Math.max(medianOffDiagonalSync(d2), 1e-12)).exp() as tf.Tensor2D;
  });
}

/** Biased HSIC estimator tr(K C M C) / (B-1)^2 = sum(centre(K) * M) / (B-1)^2. */
export function hsic(K: tf.Tensor2D, M: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const B = K.shape[0];
    const Kc = K.sub(K.mean(0, true)).sub(K.mean(1, true)).add(K.mean());
    return Kc.mul(M).sum().div((B - 1) ** 2) as tf.Scalar;
  });
}

/**
 * IBKD (Alibaba-NLP/IBKD, stage 1): InfoNCE between a projection of the
 * student embedding and the in-batch teacher embeddings (student rows are
 * anchors), plus lambda * HSIC between the student's mean-pooled layer-k
 * output (k = 0, the embedding layer) and its mean-pooled last layer.
 */
export const ibkdLoss = defineLoss({
  name: 'ibkd',
  description: 'IBKD: InfoNCE to in-batch teacher embeddings plus lambda * HSIC(layer k, last layer)',
  options: {
    temperature: { type: 'number', default: 0.05, min: 1e-6, description: 'InfoNCE temperature tau' },
    lambda: { type: 'number', default: 0.2, min: 0, description: 'weight of the HSIC term (0 turns it off)' },
    gamma: { type: 'number', default: 'median', min: 0, also: ['median'], description: 'RBF kernel width, or "median": 1 / median squared distance per batch' },
    hsic_layer: { type: 'integer', default: 0, min: 0, description: 'student hidden state k compared with the last layer (0 = embeddings)' },
  },
  build(options, ctx) {
    const { temperature: tau, lambda, hsic_layer: layer, gamma } = options;
    // Projection head Linear(d_s -> d_t), BERT init: normal(0, 0.02), zero bias.
    const params = projectionHead('ibkd.head', ctx.studentDim, ctx.teacherDim, ctx.seed ^ 0x1b4d);
    return {
      name: 'ibkd',
      params,
      needs: { hiddenStates: lambda > 0 },
      compute: (s: StudentOutputs, t: TeacherTargets) =>
        tf.tidy(() => {
          const P = tf.fused.matMul({ a: s.pooled, b: params.get('ibkd.head.weight')! as tf.Tensor2D, bias: params.get('ibkd.head.bias')! });
          const Pn = P.div(P.norm('euclidean', 1, true).maximum(1e-8));
          const Tn = t.embedding.div(t.embedding.norm('euclidean', 1, true).maximum(1e-8));
          const logits = tf.matMul(Pn, Tn, false, true).div(tau);
          const B = logits.shape[0];
          const nce = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.range(0, B, 1, 'int32'), B), logits) as tf.Scalar;
          if (lambda === 0) return nce;
          const hs = s.hiddenStates;
          if (!hs || layer >= hs.length) throw new DistillError(`hsic_layer ${layer} does not exist; the student has hidden states 0..${(hs?.length ?? 1) - 1}`, ctx.where);
          const X = meanPool(hs[layer], s.mask);
          return nce.add(hsic(rbf(X, gamma), rbf(s.pooled, gamma)).mul(lambda)) as tf.Scalar;
        }),
    };
  },
});
