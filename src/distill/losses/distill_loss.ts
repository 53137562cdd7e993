// The losses moved to src/losses. This re-export keeps src/distill/trainer.ts compiling
// until it imports from '../losses/distill_loss'; delete this folder then.
export { LossNeeds, StudentOutputs, TeacherTargets, DistillLoss, LossContext } from '../../losses/distill_loss';
