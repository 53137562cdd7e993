import * as tf from '../../backend/tf';
import { DistillLoss, LossContext, StudentOutputs, TeacherTargets } from './distill_loss';
import { checkOptions } from './check_options';
import { DistillError } from '../../util/errors';

/** sentence-transformers MSELoss: mean over all B*d elements of (S - T)^2. */
export function mseLoss(options: Record<string, unknown>, ctx: LossContext): DistillLoss {
  checkOptions(options, [], ctx.where);
  if (ctx.studentDim !== ctx.teacherDim) {
    throw new DistillError(`mse needs equal widths, student ${ctx.studentDim} vs teacher ${ctx.teacherDim}; use a layer-subset student or ibkd (it has a projection head)`, ctx.where);
  }
  return {
    name: 'mse',
    params: new Map(),
    needs: {},
    compute: (s: StudentOutputs, t: TeacherTargets) => tf.tidy(() => s.embedding.sub(t.embedding).square().mean() as tf.Scalar),
  };
}
