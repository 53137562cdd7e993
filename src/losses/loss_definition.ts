import { DistillLoss, LossContext } from './distill_loss';
import { OptionSchema, OptionsOf } from './option_schema';

/**
 * A loss a config can name: its declared options (checked when the config is
 * parsed, before any model loads) and how to build it once the models are
 * known. build() receives the options validated, typed and defaulted.
 */
export interface LossDefinition<S extends OptionSchema = OptionSchema> {
  readonly name: string;
  /** One line for listings; the built-ins all have one. */
  readonly description?: string;
  readonly options: S;
  build(options: OptionsOf<S>, ctx: LossContext): DistillLoss;
}

/** Identity, for inference: `defineLoss({ options: {...}, build(o) {...} })` types `o` from the declared options. */
export function defineLoss<const S extends OptionSchema>(def: LossDefinition<S>): LossDefinition<S> {
  return def;
}
