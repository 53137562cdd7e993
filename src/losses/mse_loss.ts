import * as tf from '../backend/tf';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { defineLoss } from './loss_definition';
import { project, projectionHead } from './projection_head';

/**
 * sentence-transformers MSELoss: mean over all B*d elements of (S - T)^2.
 * When the student is narrower or wider than the teacher, S goes through a
 * learned Linear(d_s -> d_t) first (trained with the student, not exported).
 */
export const mseLoss = defineLoss({
  name: 'mse',
  description: 'MSE between student and teacher sentence embeddings (sentence-transformers MSELoss)',
  options: {},
  build(_options, ctx) {
    const params = ctx.studentDim !== ctx.teacherDim ? projectionHead('mse.proj', ctx.studentDim, ctx.teacherDim, ctx.seed ^ 0x3e5) : new Map<string, tf.Variable>();
    return {
      name: 'mse',
      params,
      needs: {},
      compute: (s: StudentOutputs, t: TeacherTargets) =>
        tf.tidy(() => {
          const S = params.size ? project(s.embedding, params, 'mse.proj') : s.embedding;
          return S.sub(t.embedding).square().mean() as tf.Scalar;
        }),
    };
  },
});
