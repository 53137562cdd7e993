import { LossSpec } from '../../config/experiment_config';
import { LOSS_NAMES } from '../../config/loss_names';
import { DistillError } from '../../util/errors';
import { cosineLoss } from './cosine_loss';
import { DistillLoss, LossContext } from './distill_loss';
import { ibkdLoss } from './ibkd_loss';
import { mseLoss } from './mse_loss';
import { hiddenMseLoss } from './hidden_mse_loss';
import { attentionLoss } from './attention_loss';
import { marginMseLoss } from './margin_mse_loss';

type LossFactory = (options: Record<string, unknown>, ctx: LossContext) => DistillLoss;

/** Every loss a config can name. */
export const LOSSES: Record<(typeof LOSS_NAMES)[number], LossFactory> = {
  mse: mseLoss,
  cosine: cosineLoss,
  ibkd: ibkdLoss,
  hidden_mse: hiddenMseLoss,
  attention: attentionLoss,
  margin_mse: marginMseLoss,
};

export interface WeightedLoss {
  loss: DistillLoss;
  weight: number;
}

export function buildLosses(specs: LossSpec[], ctx: Omit<LossContext, 'where'>): WeightedLoss[] {
  return specs.map((s, i) => {
    const f = LOSSES[s.name as keyof typeof LOSSES];
    if (!f) throw new DistillError(`unknown loss "${s.name}"; valid: ${Object.keys(LOSSES).join(', ')}`, `losses[${i}]`);
    return { loss: f(s.options, { ...ctx, where: `losses[${i}] (${s.name})` }), weight: s.weight };
  });
}
