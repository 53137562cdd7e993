import { DistillError } from '../util/errors';

type Obj = Record<string, unknown>;

/**
 * Reads one config section, checking each key once at the boundary. Errors
 * name the file, the dotted key, what was expected and what was found; keys
 * the section does not know are errors that list the known ones (typos).
 */
export class FieldReader {
  private readonly used = new Set<string>();

  constructor(private readonly obj: Obj, private readonly prefix: string, private readonly file: string) {
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) this.fail('', 'must be a mapping');
  }

  fail(key: string, msg: string): never {
    const k = [this.prefix, key].filter(Boolean).join('.');
    throw new DistillError(`key "${k || '(root)'}" ${msg}`, this.file);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): unknown {
    this.used.add(key);
    return this.obj[key];
  }

  str(key: string, def?: string): string {
    const v = this.raw(key) ?? def;
    if (typeof v !== 'string' || v === '') this.fail(key, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  optStr(key: string): string | undefined {
    return this.has(key) ? this.str(key) : (this.raw(key), undefined);
  }

  num(key: string, def: number | undefined, o: { min?: number; max?: number; int?: boolean; exclusiveMin?: boolean } = {}): number {
    let v = this.raw(key) ?? def;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) v = Number(v);
    const kind = o.int ? 'an integer' : 'a number';
    if (typeof v !== 'number' || !Number.isFinite(v) || (o.int && !Number.isInteger(v))) this.fail(key, `must be ${kind}, got ${JSON.stringify(v)}`);
    if (o.min !== undefined && (o.exclusiveMin ? v <= o.min : v < o.min)) this.fail(key, `must be ${o.exclusiveMin ? '>' : '>='} ${o.min}, got ${v}`);
    if (o.max !== undefined && v > o.max) this.fail(key, `must be <= ${o.max}, got ${v}`);
    return v;
  }

  optNum(key: string, o: { min?: number; max?: number; int?: boolean } = {}): number | undefined {
    return this.has(key) ? this.num(key, undefined, o) : (this.raw(key), undefined);
  }

  bool(key: string, def: boolean): boolean {
    let v = this.raw(key) ?? def;
    if (v === 'true') v = true;
    if (v === 'false') v = false;
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], def?: T): T {
    const v = this.raw(key) ?? def;
    if (typeof v !== 'string' || !allowed.includes(v as T)) this.fail(key, `must be one of ${allowed.join(', ')}; got ${JSON.stringify(v)}`);
    return v as T;
  }

  section(key: string, required = false): FieldReader {
    const v = this.raw(key);
    if (v === undefined || v === null) {
      if (required) this.fail(key, 'is required');
      return new FieldReader({}, this.key(key), this.file);
    }
    return new FieldReader(v as Obj, this.key(key), this.file);
  }

  key(k: string): string {
    return [this.prefix, k].filter(Boolean).join('.');
  }

  /** Call last: any key not read is unknown. */
  done(): void {
    const unknown = Object.keys(this.obj).filter((k) => !this.used.has(k));
    if (unknown.length) this.fail(unknown[0], `is not a known key; valid here: ${[...this.used].sort().join(', ')}`);
  }
}
