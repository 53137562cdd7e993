import { DistillError } from '../util/errors';
import { Architecture } from './architecture';
import { bertArchitecture } from './architectures/bert';
import { robertaArchitecture } from './architectures/roberta';
import { distilBertArchitecture } from './architectures/distilbert';
import { mpnetArchitecture } from './architectures/mpnet';

/** Encoder families by name and by config.json model_type; user code may register more. */
export class ArchitectureRegistry {
  private readonly byName = new Map<string, Architecture>();

  register(arch: Architecture): this {
    this.byName.set(arch.name, arch);
    return this;
  }

  get(name: string): Architecture {
    const a = this.byName.get(name);
    if (!a) throw new DistillError(`unknown architecture "${name}"; registered: ${[...this.byName.keys()].join(', ')}`, 'architecture');
    return a;
  }

  modelTypes(): string[] {
    return [...this.byName.values()].flatMap((a) => [...a.modelTypes]);
  }

  /** The family that reads this config.json `model_type`; an unknown one is named with the supported list. */
  forModelType(modelType: unknown, file: string): Architecture {
    const a = [...this.byName.values()].find((x) => x.modelTypes.includes(String(modelType)));
    if (typeof modelType !== 'string' || !a) {
      throw new DistillError(`unsupported model_type ${JSON.stringify(modelType)}; supported: ${this.modelTypes().join(', ')}`, file);
    }
    return a;
  }
}

/** A fresh registry holding the built-in families. */
export function defaultArchitectures(): ArchitectureRegistry {
  return new ArchitectureRegistry().register(bertArchitecture).register(robertaArchitecture).register(distilBertArchitecture).register(mpnetArchitecture);
}
