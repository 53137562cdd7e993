import { DistillError } from '../util/errors';
import { describeType, OptionSchema, OptionSpec, OptionsOf } from './option_schema';

/** Where a loss's options sit: `key` is the dotted path of the loss (e.g. "losses[1]"), `file` the config file when there is one. */
export interface OptionsWhere {
  key: string;
  file?: string;
  /** The loss's name, for the unknown-option message. */
  loss: string;
}

/** Keys of a loss entry that are not options: the config reads them itself. */
export const LOSS_ENTRY_KEYS = ['name', 'weight'] as const;

/**
 * Checks raw options against a loss's declared schema and returns them typed,
 * with defaults filled in. Errors name the file and the key path and say what
 * was expected; an unknown key lists the valid ones (typos). Idempotent: the
 * returned options validate again to themselves.
 */
export function validateOptions<S extends OptionSchema>(raw: Record<string, unknown>, schema: S, where: OptionsWhere): OptionsOf<S> {
  const fail = (k: string, msg: string): never => {
    throw new DistillError(`key "${where.key}.${k}" ${msg}`, where.file);
  };
  for (const k of Object.keys(raw)) {
    if (!(k in schema)) fail(k, `is not an option of loss "${where.loss}"; valid: ${[...LOSS_ENTRY_KEYS, ...Object.keys(schema)].join(', ')}`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(schema)) {
    const given = raw[k] ?? undefined;
    const v = given === undefined ? ('default' in spec ? spec.default : undefined) : checkValue(given, spec, (msg) => fail(k, msg));
    if (v !== undefined) out[k] = v;
  }
  return out as OptionsOf<S>;
}

function checkValue(v: unknown, spec: OptionSpec, fail: (msg: string) => never): unknown {
  const got = `got ${JSON.stringify(v)}`;
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (spec.type === 'number' && typeof v === 'string' && spec.also?.includes(v)) return v;
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n) || (spec.type === 'integer' && !Number.isInteger(n))) fail(`must be ${describeType(spec)}; ${got}`);
      const exclusive = spec.type === 'number' && spec.exclusiveMin;
      if (spec.min !== undefined && (exclusive ? n <= spec.min : n < spec.min)) fail(`must be ${exclusive ? '>' : '>='} ${spec.min}; ${got}`);
      if (spec.max !== undefined && n > spec.max) fail(`must be <= ${spec.max}; ${got}`);
      return n;
    }
    case 'boolean':
      if (v === true || v === 'true') return true;
      if (v === false || v === 'false') return false;
      return fail(`must be ${describeType(spec)}; ${got}`);
    case 'enum':
      if (typeof v !== 'string' || !spec.values.includes(v)) fail(`must be ${describeType(spec)}; ${got}`);
      return v;
    case 'layer_pairs': {
      const ok = Array.isArray(v) && v.length > 0 && v.every((p) => Array.isArray(p) && p.length === 2 && p.every((i) => Number.isInteger(i) && i >= 0));
      if (!ok) fail(`must be ${describeType(spec)}; ${got}`);
      return (v as number[][]).map(([s, t]) => [s, t]);
    }
  }
}
