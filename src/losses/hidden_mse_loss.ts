import * as tf from '../backend/tf';
import { addMany } from '../backend/add_many';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { resolveLayerMap } from './layer_map';
import { defineLoss } from './loss_definition';
import { project, projectionHead } from './projection_head';

/**
 * TinyBERT-style hidden-state loss: mean over mapped layers of MSE between
 * the (projected, when widths differ) student and teacher hidden states, on
 * real tokens only (padding excluded from both sum and count).
 */
export const hiddenMseLoss = defineLoss({
  name: 'hidden_mse',
  description: 'TinyBERT hidden-state MSE over mapped layers, padding excluded',
  options: {
    layer_map: { type: 'layer_pairs', description: '[student, teacher] hidden-state pairs (0 = embeddings); default: each student layer to the teacher layer it was copied from, embeddings to embeddings' },
    projection: { type: 'boolean', default: false, description: 'learn a projection even when widths are equal (always used when they differ)' },
  },
  build(options, ctx) {
    const map = resolveLayerMap(options.layer_map, ctx, true);
    const widthsDiffer = ctx.studentHidden !== ctx.teacherHidden;
    const params = widthsDiffer || options.projection ? projectionHead('hidden_mse.proj', ctx.studentHidden!, ctx.teacherHidden!, ctx.seed ^ 0x2c3) : new Map<string, tf.Variable>();
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
          return addMany(terms).div(terms.length) as tf.Scalar;
        }),
    };
  },
});
