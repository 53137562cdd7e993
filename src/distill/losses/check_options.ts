import { DistillError } from '../../util/errors';

/** Loss options are checked when the loss is built, before any training: unknown keys list the valid ones. */
export function checkOptions(options: Record<string, unknown>, valid: string[], where: string): void {
  for (const k of Object.keys(options)) {
    if (!valid.includes(k)) throw new DistillError(`unknown option "${k}"; valid: ${valid.length ? valid.join(', ') : '(none)'}`, where);
  }
}

export function numberOption(options: Record<string, unknown>, key: string, def: number, where: string, min = -Infinity): number {
  const v = options[key] ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new DistillError(`option "${key}" must be a number >= ${min}, got ${JSON.stringify(v)}`, where);
  return v;
}
