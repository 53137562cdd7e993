import * as tf from '../../backend/tf';
import { DistillLoss, LossContext, StudentOutputs, TeacherTargets } from './distill_loss';
import { checkOptions } from './check_options';
import { DistillError } from '../../util/errors';

/** Mean of 1 - cos(S_b, T_b): aligns directions, ignores norms. */
export function cosineLoss(options: Record<string, unknown>, ctx: LossContext): DistillLoss {
  checkOptions(options, [], ctx.where);
  if (ctx.studentDim !== ctx.teacherDim) throw new DistillError(`cosine needs equal widths, student ${ctx.studentDim} vs teacher ${ctx.teacherDim}`, ctx.where);
  return {
    name: 'cosine',
    params: new Map(),
    needs: {},
    compute: (s: StudentOutputs, t: TeacherTargets) =>
      tf.tidy(() => {
        const dot = s.embedding.mul(t.embedding).sum(1);
        const norms = s.embedding.norm('euclidean', 1).mul(t.embedding.norm('euclidean', 1)).maximum(1e-8);
        return tf.sub(1, dot.div(norms)).mean() as tf.Scalar;
      }),
  };
}
