import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { DistillError } from '../util/errors';
import { DATASET_KINDS, DatasetKind, DatasetSpec } from '../data/dataset_spec';
import { createReaderRegistry, ReaderRegistry } from '../data/readers/reader_registry';
import { ExperimentConfig, LossSpec, TEACHER_RUNTIMES } from './experiment_config';
import { FieldReader } from './field_reader';
import { POOLING_OVERRIDES } from '../model/pooling_override';
import { createLossRegistry, LossRegistry } from '../losses/loss_registry';
import { redactCredentials } from '../util/redact_credentials';

function datasetSpec(r: FieldReader, readers: ReaderRegistry): DatasetSpec {
  const kind = r.oneOf('kind', Object.keys(DATASET_KINDS) as DatasetKind[]);
  const spec: DatasetSpec = { path: r.str('path'), kind };
  if (r.has('format')) spec.format = r.oneOf('format', readers.names());
  else r.raw('format');
  if (r.has('columns')) {
    const cols = r.raw('columns') as Record<string, unknown>;
    const fields = [...DATASET_KINDS[kind].required, ...DATASET_KINDS[kind].optional] as string[];
    for (const [f, c] of Object.entries(cols ?? {})) {
      if (!fields.includes(f)) r.fail(`columns.${f}`, `is not a field of kind "${kind}"; fields: ${fields.join(', ')}`);
      if (typeof c !== 'string' && !(typeof c === 'number' && Number.isInteger(c) && c >= 0)) r.fail(`columns.${f}`, 'must be a column name or a 0-based index');
    }
    spec.columns = cols as Record<string, string | number>;
  }
  if (r.has('header')) spec.header = r.bool('header', true);
  else r.raw('header');
  spec.delimiter = r.optStr('delimiter');
  if (r.has('quote')) spec.quote = r.raw('quote') === false ? null : r.str('quote');
  else r.raw('quote');
  spec.on_bad_row = r.oneOf('on_bad_row', ['error', 'skip'] as const, 'error');
  spec.dedupe = r.bool('dedupe', kind === 'sentences');
  spec.min_chars = r.optNum('min_chars', { min: 0, int: true });
  spec.max_chars = r.optNum('max_chars', { min: 1, int: true });
  spec.limit = r.optNum('limit', { min: 1, int: true });
  if (r.has('where')) spec.where = r.raw('where') as Record<string, string | number>;
  else r.raw('where');
  r.done();
  return spec;
}

/** Each loss's name and options checked against the registry's declarations, so a typo fails here, before any model loads. */
function lossSpecs(raw: unknown, file: string, registry: LossRegistry): LossSpec[] {
  const list = raw ?? [{ name: 'mse' }];
  if (!Array.isArray(list) || list.length === 0) throw new DistillError('key "losses" must be a non-empty list of {name, weight, ...options}', file);
  return list.map((item, i) => {
    const r = new FieldReader(item as Record<string, unknown>, `losses[${i}]`, file);
    const name = r.oneOf('name', registry.names());
    const weight = r.num('weight', 1, { min: 0 });
    const options: Record<string, unknown> = { ...(item as Record<string, unknown>) };
    delete options.name;
    delete options.weight;
    return registry.validate({ name, weight, options }, `losses[${i}]`, file);
  });
}

/** Validates a parsed config object; every default is set here (loss options' defaults come from the loss registry). */
/** Registries a config's names are checked against; each defaults to the built-ins. */
export interface ConfigRegistries {
  losses?: LossRegistry;
  readers?: ReaderRegistry;
}

export function parseConfig(obj: Record<string, unknown>, file: string, registries: ConfigRegistries = {}): ExperimentConfig {
  const registry = registries.losses ?? createLossRegistry();
  const readers = registries.readers ?? createReaderRegistry();
  const r = new FieldReader(obj, '', file);
  const name = r.str('name', path.basename(file).replace(/\.(ya?ml|json)$/, ''));
  const t = r.section('teacher', true);
  const teacher = { model: t.str('model'), cache: t.bool('cache', true), cache_dir: t.str('cache_dir', '.cache/teacher'), batch_size: t.num('batch_size', 64, { min: 1, int: true }),
    runtime: t.oneOf('runtime', TEACHER_RUNTIMES, 'tfjs'),
    // Only when set, so configs without it hash as before.
    ...(t.has('pooling') ? { pooling: t.oneOf('pooling', POOLING_OVERRIDES) } : {}) };
  t.done();
  const s = r.section('student', true);
  const layersRaw = s.raw('layers');
  if (!(typeof layersRaw === 'number' && Number.isInteger(layersRaw) && layersRaw > 0) &&
      !(Array.isArray(layersRaw) && layersRaw.length > 0 && layersRaw.every((x) => Number.isInteger(x) && x >= 0))) {
    s.fail('layers', `must be a layer count (e.g. 3) or a list of 0-based teacher layers (e.g. [0, 2, 4]); got ${JSON.stringify(layersRaw)}`);
  }
  const student = {
    model: s.optStr('model'),
    layers: layersRaw as number | number[],
    max_seq_length: s.optNum('max_seq_length', { min: 2, int: true }),
    hidden_size: s.optNum('hidden_size', { min: 1, int: true }),
    num_attention_heads: s.optNum('num_attention_heads', { min: 1, int: true }),
    intermediate_size: s.optNum('intermediate_size', { min: 1, int: true }),
  };
  if (student.hidden_size === undefined && (student.num_attention_heads !== undefined || student.intermediate_size !== undefined)) {
    s.fail('hidden_size', 'is required for a fresh student (num_attention_heads / intermediate_size were given)');
  }
  if (student.hidden_size !== undefined && Array.isArray(student.layers)) s.fail('layers', 'must be a layer count for a fresh student (hidden_size is set), not a list of teacher layers');
  s.done();
  const losses = lossSpecs(r.raw('losses'), file, registry);
  const d = r.section('data', true);
  const data = {
    train: datasetSpec(d.section('train', true), readers),
    dev: d.has('dev') ? datasetSpec(d.section('dev'), readers) : (d.raw('dev'), undefined),
    dev_ratio: d.optNum('dev_ratio', { min: 0, max: 0.5 }),
    chunk_rows: d.optNum('chunk_rows', { min: 1, int: true }),
    window_chunks: d.optNum('window_chunks', { min: 1, int: true }),
  };
  if (data.dev && data.dev_ratio) d.fail('dev_ratio', 'cannot be used together with data.dev: evaluate on the dev file or on a held-out share of train, not both');
  d.done();
  const tr = r.section('train');
  const train = {
    epochs: tr.num('epochs', 1, { min: 1, int: true }),
    max_steps: tr.optNum('max_steps', { min: 1, int: true }),
    batch_size: tr.num('batch_size', 32, { min: 1, int: true }),
    lr: tr.num('lr', 1e-4, { min: 0, exclusiveMin: true }),
    warmup_ratio: tr.num('warmup_ratio', 0.1, { min: 0, max: 1 }),
    weight_decay: tr.num('weight_decay', 0.01, { min: 0 }),
    adam_eps: tr.num('adam_eps', 1e-6, { min: 0, exclusiveMin: true }),
    max_grad_norm: tr.num('max_grad_norm', 1.0, { min: 0 }),
    grad_accum: tr.num('grad_accum', 1, { min: 1, int: true }),
    bucketed: tr.bool('bucketed', true),
    eval_every: tr.num('eval_every', 0, { min: 0, int: true }),
    log_every: tr.num('log_every', 10, { min: 1, int: true }),
    metric_for_best: tr.optStr('metric_for_best'),
    signal_checkpoint: tr.bool('signal_checkpoint', true),
  };
  tr.done();
  const c = r.section('checkpoint');
  const checkpoint = { every: c.num('every', 0, { min: 0, int: true }), keep_last: c.num('keep_last', 2, { min: 1, int: true }) };
  c.done();
  const k = r.section('tracking');
  const tracking = {
    mlflow_uri: k.optStr('mlflow_uri'),
    experiment: k.str('experiment', 'distill'),
    batch_every: k.num('batch_every', 50, { min: 1, int: true }),
    retry_initial_ms: k.num('retry_initial_ms', 1000, { min: 1 }),
    retry_max_ms: k.num('retry_max_ms', 60000, { min: 1 }),
    final_timeout_s: k.num('final_timeout_s', 120, { min: 0 }),
  };
  k.done();
  const seed = r.num('seed', 42, { int: true, min: 0 });
  const output_dir = r.str('output_dir', path.join('checkpoints', name));
  r.done();
  return { name, seed, output_dir, teacher, student, losses, data, train, checkpoint, tracking };
}

/** Applies `--set a.b=value` overrides; values are parsed as YAML scalars (numbers, booleans, lists). */
export function applyOverrides(obj: Record<string, unknown>, sets: string[]): void {
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new DistillError(`--set "${s}": expected key=value, e.g. train.lr=5e-5`);
    const keys = s.slice(0, eq).split('.');
    let node = obj;
    for (const k of keys.slice(0, -1)) {
      if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = YAML.parse(s.slice(eq + 1));
  }
}

export function loadConfig(file: string, sets: string[] = [], registries: ConfigRegistries = {}): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DistillError(`cannot read config (${(e as NodeJS.ErrnoException).code})`, file, { cause: e });
  }
  let obj: unknown;
  try {
    obj = YAML.parse(text, { prettyErrors: true });
  } catch (e) {
    throw new DistillError(`invalid YAML/JSON (${(e as Error).message.split('\n')[0]})`, file, { cause: e });
  }
  if (typeof obj !== 'object' || obj === null) throw new DistillError('expected a mapping at the top level', file);
  applyOverrides(obj as Record<string, unknown>, sets);
  return parseConfig(obj as Record<string, unknown>, file, registries);
}

/**
 * The resolved config in the input format (losses flattened), so it can be
 * read back by loadConfig. It is saved and sent to MLflow, so a password in
 * tracking.mlflow_uri is redacted (a resume takes it from MLFLOW_TRACKING_PASSWORD).
 */
export function configToObject(cfg: ExperimentConfig): Record<string, unknown> {
  const uri = cfg.tracking.mlflow_uri;
  return { ...cfg, tracking: uri ? { ...cfg.tracking, mlflow_uri: redactCredentials(uri) } : cfg.tracking, losses: cfg.losses.map((l) => ({ name: l.name, weight: l.weight, ...l.options })) };
}
