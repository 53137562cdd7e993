import * as tf from '../../backend/tf';
import { checkOptions } from './check_options';
import { DistillLoss, LossContext, StudentOutputs, TeacherTargets } from './distill_loss';
import { resolveLayerMap } from './layer_map';
import { project, projectionHead } from './projection_head';

/**
 * TinyBERT-style hidden-state loss: mean over mapped layers of MSE between
 * the (projected, when widths differ) student and teacher hidden states, on
 * real tokens only (padding excluded from both sum and count).
 */
export function hiddenMseLoss(options: Record<string, unknown>, ctx: LossContext): DistillLoss {
  checkOptions(options, ['layer_map', 'projection'], ctx.where);
  const map = resolveLayerMap(options.layer_map, ctx, true);
  const widthsDiffer = ctx.studentHidden !== ctx.teacherHidden;
  const params = widthsDiffer || options.projection === true ? projectionHead('hidden_mse.proj', ctx.studentHidden!, ctx.teacherHidden!, ctx.seed ^ 0x2c3) : new Map<string, tf.Variable>();
  return {
    name: 'hidden_mse',
    params,
    needs: { hiddenStates: true, teacherLive: true },
    compute: (s: StudentOutputs, t: TeacherTargets) =>
      tf.tidy(() => {
        const m = s.mask.cast('float32').expandDims(2);
        const count = m.sum().mul(t.hiddenStates![0].shape[2]);
        const terms = map.map(([si, ti]) => {
          const hs = params.size ? project(s.hiddenStates![si], params, 'hidden_mse.proj') : s.hiddenStates![si];
          return hs.sub(t.hiddenStates![ti]).square().mul(m).sum().div(count);
        });
        return tf.addN(terms).div(terms.length) as tf.Scalar;
      }),
  };
}
