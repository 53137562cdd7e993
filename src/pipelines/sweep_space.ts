import * as fs from 'fs';
import YAML from 'yaml';
import { DistillError } from '../util/errors';
import { Rng } from '../util/rng';

/** One key's values, each the exact value the key is set to (a number, a string, a list, a mapping). */
export type KeyValues = Record<string, unknown[]>;

/** How a random search draws one key's value. */
export interface Distribution {
  kind: string;
  args: unknown[];
}

/**
 * What a sweep varies: the union of one or more grids (each the product of
 * its keys' values), or N random draws from per-key distributions.
 */
export type SweepSpace =
  | { mode: 'grid'; grids: KeyValues[] }
  | { mode: 'random'; n: number; seed: number; params: Record<string, Distribution> };

/** Random draws keep 4 significant digits: readable params and run ids, and a rerun of the same seed draws the same values. */
const round4 = (x: number) => Number(x.toPrecision(4));

interface DistributionDef {
  describe: string;
  check(args: unknown[]): string | null;
  draw(args: unknown[], rng: Rng): unknown;
}

const numPair = (a: unknown[], positive = false) =>
  a.length === 2 && a.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0)) && (a[0] as number) <= (a[1] as number);

/** The random-search distributions by name; an unknown name lists these. */
export const DISTRIBUTIONS: Readonly<Record<string, DistributionDef>> = {
  choice: { describe: 'choice: [v1, v2, ...] (each equally likely)', check: (a) => (a.length ? null : 'needs at least one value'), draw: (a, rng) => a[Math.floor(rng.next() * a.length)] },
  uniform: { describe: 'uniform: [low, high]', check: (a) => (numPair(a) ? null : 'needs [low, high], numbers with low <= high'), draw: ([lo, hi], rng) => round4((lo as number) + rng.next() * ((hi as number) - (lo as number))) },
  log_uniform: {
    describe: 'log_uniform: [low, high] (both > 0)',
    check: (a) => (numPair(a, true) ? null : 'needs [low, high], numbers with 0 < low <= high'),
    draw: ([lo, hi], rng) => round4(Math.exp(Math.log(lo as number) + rng.next() * (Math.log(hi as number) - Math.log(lo as number)))),
  },
  int_uniform: {
    describe: 'int_uniform: [low, high] (integers, both included)',
    check: (a) => (numPair(a) && a.every(Number.isInteger) ? null : 'needs [low, high], integers with low <= high'),
    draw: ([lo, hi], rng) => (lo as number) + Math.floor(rng.next() * ((hi as number) - (lo as number) + 1)),
  },
};

/**
 * Splits "v1,v2,..." at top-level commas: a comma inside [], {} or quotes
 * belongs to its value, so `student.layers=[1,3,5],[0,5]` is two lists.
 */
export function splitValues(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | null = null;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/** `--grid key=v1,v2`: each value parsed as YAML, as `--set` parses its value. */
export function parseGridArg(arg: string): [string, unknown[]] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new DistillError(`--grid "${arg}": expected key=v1,v2,... (e.g. train.lr=1e-4,5e-5)`);
  const key = arg.slice(0, eq).trim();
  const text = arg.slice(eq + 1).trim();
  if (!text) throw new DistillError(`--grid key "${key}" has no values (an empty grid); give key=v1,v2,...`);
  const values = splitValues(text).map((v, i) => {
    if (!v) throw new DistillError(`--grid key "${key}": value ${i + 1} of "${text}" is empty`);
    try {
      return YAML.parse(v) as unknown;
    } catch (e) {
      throw new DistillError(`--grid key "${key}": value "${v}" is not valid YAML (${(e as Error).message.split('\n')[0]})`, undefined, { cause: e });
    }
  });
  return [key, values];
}

/** Keys given as --grid key=... (each once) as one grid. */
export function gridFromArgs(args: string[]): KeyValues {
  const grid: KeyValues = {};
  for (const a of args) {
    const [key, values] = parseGridArg(a);
    if (key in grid) throw new DistillError(`--grid key "${key}" is given twice; list all its values in one --grid ${key}=v1,v2`);
    grid[key] = values;
  }
  return grid;
}

function checkGrid(raw: unknown, where: string): KeyValues {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new DistillError(`${where} must be a mapping of key: [values]`);
  const grid: KeyValues = {};
  for (const [key, values] of Object.entries(raw as Record<string, unknown>)) {
    if (!Array.isArray(values)) throw new DistillError(`${where} key "${key}" must be a list of values (write [v] for one value; a list value is [[1, 3, 5]])`);
    if (!values.length) throw new DistillError(`${where} key "${key}" has no values (an empty grid)`);
    grid[key] = values;
  }
  if (!Object.keys(grid).length) throw new DistillError(`${where} is empty: give at least one key with values`);
  return grid;
}

function checkDistribution(key: string, raw: unknown, where: string): Distribution {
  if (Array.isArray(raw)) return checkDistribution(key, { choice: raw }, where);
  const entries = typeof raw === 'object' && raw !== null ? Object.entries(raw as Record<string, unknown>) : [];
  const names = Object.keys(DISTRIBUTIONS);
  if (entries.length !== 1) throw new DistillError(`${where} key "${key}" must be one of {${names.join(' | ')}: [...]} or a list (choice); got ${JSON.stringify(raw)}`);
  const [kind, args] = entries[0];
  const def = DISTRIBUTIONS[kind];
  if (!def) throw new DistillError(`${where} key "${key}": unknown distribution "${kind}"; known: ${Object.values(DISTRIBUTIONS).map((d) => d.describe).join('; ')}`);
  const problem = Array.isArray(args) ? def.check(args) : 'needs a list';
  if (problem) throw new DistillError(`${where} key "${key}": ${kind} ${problem}; got ${JSON.stringify(args)}`);
  return { kind, args: args as unknown[] };
}

/**
 * A space file (YAML): `grid: {key: [values]}`, `grids: [{...}, {...}]`
 * (the union of several grids, for keys that only make sense together) or
 * `random: {key: {choice|uniform|log_uniform|int_uniform: [...]}}`.
 */
export function readSpaceFile(file: string, random?: { n: number; seed: number }): SweepSpace {
  let obj: unknown;
  try {
    obj = YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistillError(`cannot read space file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message.split('\n')[0]})`, file, { cause: e });
  }
  const o = (obj ?? {}) as Record<string, unknown>;
  const known = ['grid', 'grids', 'random'];
  const unknown = Object.keys(o).filter((k) => !known.includes(k));
  if (unknown.length) throw new DistillError(`key "${unknown[0]}" is not a known key; valid here: ${known.join(', ')}`, file);
  if (random) {
    if (!o.random) throw new DistillError('--random needs a "random:" mapping of key: distribution in the space file', file);
    const r = o.random as Record<string, unknown>;
    if (typeof r !== 'object' || Array.isArray(r) || !Object.keys(r).length) throw new DistillError('"random" must be a non-empty mapping of key: distribution', file);
    const params = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, checkDistribution(k, v, `${file}: random`)]));
    return { mode: 'random', n: random.n, seed: random.seed, params };
  }
  if (o.random) throw new DistillError('"random:" needs --random N (how many draws)', file);
  const grids = o.grids !== undefined ? o.grids : o.grid !== undefined ? [o.grid] : undefined;
  if (!Array.isArray(grids) || !grids.length) throw new DistillError('give "grid: {key: [values]}" or "grids: [{...}, ...]" (an empty grid has no runs)', file);
  if (o.grid !== undefined && o.grids !== undefined) throw new DistillError('give "grid" or "grids", not both', file);
  return { mode: 'grid', grids: grids.map((g, i) => checkGrid(g, `${file}: ${o.grids ? `grids[${i}]` : 'grid'}`)) };
}

/** Every assignment of the space, in a stable order: grids in order, keys varying last-fastest; random draws in draw order. */
export function expandSpace(space: SweepSpace): Array<Record<string, unknown>> {
  if (space.mode === 'random') {
    const rng = new Rng(space.seed);
    return Array.from({ length: space.n }, () => Object.fromEntries(Object.entries(space.params).map(([k, d]) => [k, DISTRIBUTIONS[d.kind].draw(d.args, rng)])));
  }
  return space.grids.flatMap((grid) =>
    Object.entries(grid).reduce<Array<Record<string, unknown>>>((acc, [k, vs]) => acc.flatMap((a) => vs.map((v) => ({ ...a, [k]: v }))), [{}]));
}
