import * as tf from '../backend/tf';
import { addMany } from '../backend/add_many';
import { DistillError } from '../util/errors';
import { StudentOutputs, TeacherTargets } from './distill_loss';
import { resolveLayerMap } from './layer_map';
import { defineLoss } from './loss_definition';

/**
 * Attention transfer. `mse` (TinyBERT): MSE between attention score
 * matrices (pre-softmax, padded keys and queries excluded). `kl` (MiniLM):
 * KL(teacher || student) of the attention distributions, averaged over
 * heads and real query positions. Needs equal head counts.
 */
export const attentionLoss = defineLoss({
  name: 'attention',
  description: 'attention transfer: KL of attention distributions (MiniLM) or MSE of attention scores (TinyBERT)',
  options: {
    mode: { type: 'enum', values: ['kl', 'mse'], default: 'kl', description: 'kl: KL(teacher || student) of attention probabilities; mse: MSE of pre-softmax scores' },
    layer_map: { type: 'layer_pairs', description: '[student, teacher] hidden-state pairs (>= 1; layer i-1 for index i); default: each student layer to the teacher layer it was copied from' },
  },
  build(options, ctx) {
    const mode = options.mode;
    if (ctx.studentHeads !== ctx.teacherHeads) {
      throw new DistillError(`attention transfer needs equal head counts: student ${ctx.studentHeads}, teacher ${ctx.teacherHeads}`, ctx.where);
    }
    // Attention maps exist per layer, not for the embeddings: hidden-state index i -> layer i-1.
    const map = resolveLayerMap(options.layer_map, ctx, false).map(([s, t]) => {
      if (s === 0 || t === 0) throw new DistillError('layer_map for attention cannot use index 0 (the embeddings have no attention)', ctx.where);
      return [s - 1, t - 1] as [number, number];
    });
    return {
      name: 'attention',
      params: new Map(),
      needs: mode === 'kl' ? { attentions: true, teacherLive: true } : { attentionScores: true, teacherLive: true },
      compute: (s: StudentOutputs, t: TeacherTargets) =>
        tf.tidy(() => {
          const [B, L] = s.mask.shape;
          const mq = s.mask.cast('float32').reshape([B, 1, L, 1]);
          const mk = s.mask.cast('float32').reshape([B, 1, 1, L]);
          const heads = (mode === 'kl' ? s.attentions! : s.attentionScores!)[0].shape[1];
          const terms = map.map(([si, ti]) => {
            if (mode === 'kl') {
              const p = t.attentions![ti];
              const q = s.attentions![si];
              const kl = p.mul(p.add(1e-12).log().sub(q.add(1e-12).log())).mul(mk).sum(-1, true).mul(mq);
              return kl.sum().div(mq.sum().mul(heads));
            }
            const d = s.attentionScores![si].sub(t.attentionScores![ti]).mul(mq).mul(mk);
            return d.square().sum().div(mq.mul(mk).sum().mul(heads));
          });
          return addMany(terms).div(terms.length) as tf.Scalar;
        }),
    };
  },
});
