import * as tf from '../../backend/tf';
import { DistillLoss, LossContext, StudentOutputs, TeacherTargets } from './distill_loss';
import { checkOptions } from './check_options';
import { project, projectionHead } from './projection_head';

/**
 * sentence-transformers MSELoss: mean over all B*d elements of (S - T)^2.
 * When the student is narrower or wider than the teacher, S goes through a
 * learned Linear(d_s -> d_t) first (trained with the student, not exported).
 */
export function mseLoss(options: Record<string, unknown>, ctx: LossContext): DistillLoss {
  checkOptions(options, [], ctx.where);
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
}
