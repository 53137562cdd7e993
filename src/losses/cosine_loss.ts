import * as tf from '../backend/tf';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { defineLoss } from './loss_definition';
import { project, projectionHead } from './projection_head';

/** Mean of 1 - cos(S_b, T_b): aligns directions, ignores norms; a learned projection when widths differ. */
export const cosineLoss = defineLoss({
  name: 'cosine',
  description: 'mean 1 - cosine between student and teacher sentence embeddings',
  options: {},
  build(_options, ctx) {
    const params = ctx.studentDim !== ctx.teacherDim ? projectionHead('cosine.proj', ctx.studentDim, ctx.teacherDim, ctx.seed ^ 0x7c1) : new Map<string, tf.Variable>();
    return {
      name: 'cosine',
      params,
      needs: {},
      compute: (s: StudentOutputs, t: TeacherTargets) =>
        tf.tidy(() => {
          const S = params.size ? project(s.embedding, params, 'cosine.proj') : s.embedding;
          const dot = S.mul(t.embedding).sum(1);
          const norms = S.norm('euclidean', 1).mul(t.embedding.norm('euclidean', 1)).maximum(1e-8);
          return tf.sub(1, dot.div(norms)).mean() as tf.Scalar;
        }),
    };
  },
});
