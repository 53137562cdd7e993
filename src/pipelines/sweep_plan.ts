import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { ExperimentConfig } from '../config/experiment_config';
import { applyOverrides, ConfigRegistries, configToObject, loadConfig, parseConfig } from '../config/parse_config';
import { DistillError } from '../util/errors';
import { checkStudentLayers } from './sweep_preflight';
import { expandSpace, SweepSpace } from './sweep_space';

/** One run of a sweep: the values it sets, its resolved config and its own run folder. */
export interface SweepVariant {
  /** Stable across reruns: derived from the values only (readable part + hash). */
  id: string;
  values: Record<string, unknown>;
  config: ExperimentConfig;
  runDir: string;
}

export interface SweepPlan {
  name: string;
  /** <base output_dir>/sweep-<name>: the variants' run folders and the sweep's table and report. */
  dir: string;
  configFile: string;
  sets: string[];
  space: SweepSpace;
  /** The keys the space varies, in the order first given. */
  keys: string[];
  base: ExperimentConfig;
  variants: SweepVariant[];
  /** Assignments dropped because an earlier one resolves to the same config ("id duplicates id"). */
  duplicates: string[];
}

export interface PlanOptions {
  sets?: string[];
  /** Default: the space file's name, else grid-<the varied keys>. */
  name?: string;
  registries?: ConfigRegistries;
}

/** Keys the sweep itself sets for every variant. */
const RESERVED = ['name', 'output_dir'];

/**
 * Sets a dotted key to a value (not a YAML string: the space already parsed
 * it). List items are addressed by index (`losses.0.temperature`); an index
 * past the list's end is an error naming the key, not a hole in the list.
 */
export function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  if (parts.some((p) => p === '')) throw new DistillError(`sweep key "${key}" is not a dotted key (e.g. train.lr, losses.0.temperature)`);
  let node: unknown = obj;
  parts.slice(0, -1).forEach((p, i) => {
    const here = parts.slice(0, i + 1).join('.');
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(p) || Number(p) >= node.length) throw new DistillError(`sweep key "${key}": "${parts.slice(0, i).join('.')}" is a list of ${node.length}; "${p}" is not an index into it (0 to ${node.length - 1})`);
    } else {
      const n = node as Record<string, unknown>;
      if ((n[p] === undefined || n[p] === null) && /^\d+$/.test(parts[i + 1])) throw new DistillError(`sweep key "${key}": "${here}" is not set in the config, so "${parts[i + 1]}" cannot index it; vary the whole list instead (${here}=[...])`);
      if (n[p] === undefined || n[p] === null) n[p] = {};
      else if (typeof n[p] !== 'object') throw new DistillError(`sweep key "${key}": "${here}" is ${JSON.stringify(n[p])}, not a section`);
    }
    node = (node as Record<string, unknown>)[p];
  });
  const last = parts[parts.length - 1];
  if (Array.isArray(node) && (!/^\d+$/.test(last) || Number(last) > node.length)) throw new DistillError(`sweep key "${key}": "${last}" is not an index into a list of ${node.length}`);
  (node as Record<string, unknown>)[last] = structuredClone(value);
}

/** "temperature=0.05_lambda=0.2-3fa2c1d0": the values in key order, made path-safe, then a hash of all of them (stable under key order). */
export function variantId(values: Record<string, unknown>): string {
  const keys = Object.keys(values).sort();
  const lastSeg = (k: string) => k.split('.').pop()!;
  const short = (k: string) => (keys.filter((x) => lastSeg(x) === lastSeg(k)).length > 1 ? k : lastSeg(k));
  const show = (v: unknown): string => (typeof v === 'number' ? String(Number(v.toPrecision(4))) : typeof v === 'string' ? v : Array.isArray(v) ? v.map(show).join('-') : JSON.stringify(v));
  const safe = (s: string) => s.replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const readable = keys.map((k) => `${safe(short(k))}=${safe(show(values[k]))}`).join('_').slice(0, 80);
  const hash = crypto.createHash('sha256').update(JSON.stringify(keys.map((k) => [k, values[k]]))).digest('hex').slice(0, 8);
  return `${readable}-${hash}`;
}

/** Two assignments that resolve to the same config (1 and 1.0, a value equal to the default) are one run: everything but the labels compared. */
function configKey(cfg: ExperimentConfig): string {
  const { name: _n, output_dir: _o, ...rest } = configToObject(cfg);
  return JSON.stringify(rest);
}

function readRaw(file: string, sets: string[]): Record<string, unknown> {
  const obj = YAML.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  applyOverrides(obj, sets);
  return obj;
}

function resolveVariant(raw: Record<string, unknown>, values: Record<string, unknown>, file: string, registries?: ConfigRegistries): ExperimentConfig {
  const obj = structuredClone(raw);
  for (const [k, v] of Object.entries(values)) setKey(obj, k, v);
  return parseConfig(obj, file, registries);
}

/** Each key's every value alone on the base config, so an unknown key or a value of the wrong type is reported by name before any run starts. */
function checkEachValue(raw: Record<string, unknown>, assignments: Array<Record<string, unknown>>, file: string, registries?: ConfigRegistries): void {
  const seen = new Set<string>();
  for (const a of assignments) {
    for (const [k, v] of Object.entries(a)) {
      const sig = JSON.stringify([k, v]);
      if (seen.has(sig)) continue;
      seen.add(sig);
      if (RESERVED.includes(k)) throw new DistillError(`sweep key "${k}" cannot be varied: the sweep sets each run's ${k} itself`);
      try {
        resolveVariant(raw, { [k]: v }, file, registries);
      } catch (e) {
        if (!(e instanceof DistillError)) throw e;
        throw new DistillError(`sweep key "${k}" = ${JSON.stringify(v)}: ${e.message}`, undefined, { cause: e });
      }
    }
  }
}

/**
 * Expands a sweep into its runs and validates every one before any starts:
 * the base config, each key's values alone (errors name the key), then each
 * combination (errors name the variant's values), then the student layers
 * against the model they are cut from (when it is a local folder).
 */
export function planSweep(configFile: string, space: SweepSpace, opts: PlanOptions = {}): SweepPlan {
  const sets = opts.sets ?? [];
  const base = loadConfig(configFile, sets, opts.registries);
  const raw = readRaw(configFile, sets);
  const assignments = expandSpace(space);
  if (!assignments.length) throw new DistillError('the sweep has no runs (an empty grid, or --random 0)');
  const keys = [...new Set(assignments.flatMap((a) => Object.keys(a)))];
  checkEachValue(raw, assignments, configFile, opts.registries);
  const name = opts.name ?? `grid-${keys.map((k) => k.split('.').pop()).join('-')}`.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new DistillError(`sweep name "${name}" must be letters, digits, ".", "_" or "-" (it names a folder)`);
  const dir = path.join(base.output_dir, `sweep-${name}`);
  const variants: SweepVariant[] = [];
  const duplicates: string[] = [];
  const byHash = new Map<string, string>();
  for (const values of assignments) {
    const id = variantId(values);
    let cfg: ExperimentConfig;
    try {
      cfg = resolveVariant(raw, { ...values, name: `${base.name}-${id}`, output_dir: path.join(dir, id) }, configFile, opts.registries);
    } catch (e) {
      if (!(e instanceof DistillError)) throw e;
      throw new DistillError(`sweep variant ${JSON.stringify(values)}: ${e.message}`, undefined, { cause: e });
    }
    const h = configKey(cfg);
    const twin = byHash.get(h);
    if (twin !== undefined) {
      duplicates.push(`${id} duplicates ${twin}`);
      continue;
    }
    byHash.set(h, id);
    variants.push({ id, values, config: cfg, runDir: cfg.output_dir });
  }
  checkStudentLayers(variants);
  return { name, dir, configFile, sets, space, keys, base, variants, duplicates };
}
