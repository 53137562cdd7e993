/**
 * What a loss declares about each of its options, so a config can be checked
 * (and documented) before any model is loaded. Options without a default are
 * optional and stay undefined when unset (e.g. a layer map, whose default
 * depends on the models and is resolved when the loss is built).
 */
export type OptionSpec =
  | { type: 'number'; description: string; default?: number | string; min?: number; max?: number; exclusiveMin?: boolean; /** Named values also accepted, e.g. "median". */ also?: readonly string[] }
  | { type: 'integer'; description: string; default?: number; min?: number; max?: number }
  | { type: 'boolean'; description: string; default?: boolean }
  | { type: 'enum'; description: string; values: readonly string[]; default?: string }
  | { type: 'layer_pairs'; description: string };

export type OptionSchema = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'number'; also: readonly (infer A)[] }
  ? number | A
  : S extends { type: 'number' | 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'enum'; values: readonly (infer V)[] }
        ? V
        : S extends { type: 'layer_pairs' }
          ? Array<[number, number]>
          : never;

/** The typed options a loss's build() receives: declared defaults filled in, the rest possibly undefined. */
export type OptionsOf<S extends OptionSchema> = {
  readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** A one-line human name of what an option accepts, for error messages and docs. */
export function describeType(spec: OptionSpec): string {
  switch (spec.type) {
    case 'number':
      return spec.also?.length ? `a number or one of ${spec.also.join(', ')}` : 'a number';
    case 'integer':
      return 'an integer';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'layer_pairs':
      return 'a list of [student, teacher] hidden-state index pairs, e.g. [[1, 2], [2, 4]]';
  }
}
