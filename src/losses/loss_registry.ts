import { DistillError } from '../util/errors';
import { attentionLoss } from './attention_loss';
import { cosineLoss } from './cosine_loss';
import { DistillLoss, LossContext } from './distill_loss';
import { hiddenMseLoss } from './hidden_mse_loss';
import { ibkdLoss } from './ibkd_loss';
import { LossDefinition } from './loss_definition';
import { LossSpec } from './loss_spec';
import { marginMseLoss } from './margin_mse_loss';
import { mseLoss } from './mse_loss';
import { OptionSchema } from './option_schema';
import { LOSS_ENTRY_KEYS, validateOptions } from './validate_options';

/**
 * The losses a config may name, each with its declared options. A registry is
 * an ordinary object its creator owns: user code adds a loss with
 * `createLossRegistry().register({...})` and passes the registry to
 * parseConfig / loadConfig / buildLosses.
 */
export class LossRegistry {
  private readonly defs = new Map<string, LossDefinition<OptionSchema>>();

  /** Adds a loss; `options` types what its build() receives (`const`: enum values stay literal types). */
  register<const S extends OptionSchema>(def: LossDefinition<S>): this {
    if (!/^[a-z][a-z0-9_]*$/.test(def.name)) throw new DistillError(`loss name "${def.name}" must be lower_snake_case`, 'registerLoss');
    if (this.defs.has(def.name)) throw new DistillError(`a loss named "${def.name}" is already registered`, 'registerLoss');
    for (const k of LOSS_ENTRY_KEYS) if (k in def.options) throw new DistillError(`loss "${def.name}" cannot declare an option "${k}" (the config reads it itself)`, 'registerLoss');
    // Widened for storage: build() is only ever called with options validated against this same def.options.
    this.defs.set(def.name, def as unknown as LossDefinition<OptionSchema>);
    return this;
  }

  names(): string[] {
    return [...this.defs.keys()];
  }

  /** The definition of `name`; an unknown name lists the registered ones. */
  get(name: string, key: string, file?: string): LossDefinition<OptionSchema> {
    const def = this.defs.get(name);
    if (!def) throw new DistillError(`key "${key}.name" must be one of ${this.names().join(', ')}; got ${JSON.stringify(name)}`, file);
    return def;
  }

  /** The spec with its options checked, typed and defaulted; errors name `file` and the key path (e.g. losses[1].mode). */
  validate(spec: LossSpec, key: string, file?: string): LossSpec {
    const def = this.get(spec.name, key, file);
    return { ...spec, options: validateOptions(spec.options, def.options, { key, file, loss: spec.name }) };
  }

  build(spec: LossSpec, ctx: LossContext, key: string): DistillLoss {
    const def = this.get(spec.name, key);
    return def.build(validateOptions(spec.options, def.options, { key, loss: spec.name }), ctx);
  }
}

/** A new registry holding the built-in losses; the caller owns it and may register more. */
export function createLossRegistry(): LossRegistry {
  return new LossRegistry().register(mseLoss).register(cosineLoss).register(ibkdLoss).register(hiddenMseLoss).register(attentionLoss).register(marginMseLoss);
}

export interface WeightedLoss {
  loss: DistillLoss;
  weight: number;
}

/** The configured losses, built for these models; options are validated again, so hand-made specs are checked too. */
export function buildLosses(specs: LossSpec[], ctx: Omit<LossContext, 'where'>, registry: LossRegistry = createLossRegistry()): WeightedLoss[] {
  return specs.map((s, i) => ({ loss: registry.build(s, { ...ctx, where: `losses[${i}] (${s.name})` }, `losses[${i}]`), weight: s.weight }));
}
