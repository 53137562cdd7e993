import * as fs from 'fs';
import * as path from 'path';
import { configHash } from '../config/config_hash';
import { ConfigRegistries, loadConfig } from '../config/parse_config';
import { DistillError } from '../util/errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic_write';
import { redactCredentials } from '../util/redact_credentials';
import { formatMetric } from '../model/model_card';
import { flattenParams } from '../tracking/flatten_params';
import { writeSweepReport } from '../tracking/sweep_report';
import { PARENT_RUN_TAG, SweepTracker } from '../tracking/sweep_tracker';
import { TrainRunSummary } from './run_summary';
import { runPartsIn } from './run_parts';
import { SweepPlan, SweepVariant } from './sweep_plan';
import { buildSweepTable, resolveMetric, formatSweepMarkdown, formatSweepTsv, showValue, SweepTable, VariantOutcome } from './sweep_table';
import { trainRun, TrainRunOptions } from './train_run';
import { TrainingStopped } from './training_stopped';

/** One variant to run: new, resumed from its checkpoint, or started again over the parts a dead attempt left. */
export interface VariantRunRequest {
  variant: SweepVariant;
  resume: boolean;
  forceNew: boolean;
  /** MLflow tags for the variant's run (its parent run, the sweep's name). */
  tags: Record<string, string>;
}

/** Trains one variant to its summary; rejects with TrainingStopped when a signal stopped it. */
export type VariantRunner = (r: VariantRunRequest) => Promise<TrainRunSummary>;

export interface SweepRunOptions {
  /** Default: trainRun in this process. The CLI's --parallel N passes a runner that starts child processes. */
  runner?: VariantRunner;
  /** How many variants run at once (default 1); more than 1 needs a runner that does not share this process. */
  parallel?: number;
  /** Rank by this metric (NAME, NAME:max, NAME:min); default the runs' dev metric. */
  metric?: string;
  log?: (line: string) => void;
  quiet?: boolean;
  registries?: ConfigRegistries;
}

export interface SweepFiles {
  json: string;
  markdown: string;
  tsv: string;
  report: string;
}

export interface SweepResult {
  plan: SweepPlan;
  table: SweepTable;
  outcomes: VariantOutcome[];
  files: SweepFiles;
  mlflow: { uri: string; parentRunId: string } | null;
  /** Set when a signal stopped a variant: the sweep stopped after it (rerun the command to go on). */
  stopped: TrainingStopped | null;
  failed: number;
}

/** What a variant's folder holds: a finished run, a run to resume, a dead attempt's parts, or nothing. */
type VariantState = { kind: 'done'; summary: TrainRunSummary } | { kind: 'resume' } | { kind: 'restart'; parts: string[] } | { kind: 'new' };

/** summary.json, when it is there and whole (it is written last, atomically; anything else means the run did not finish). */
export function readFinishedSummary(runDir: string): TrainRunSummary | null {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as TrainRunSummary;
    return typeof s.steps === 'number' && Array.isArray(s.evals) && typeof s.student === 'object' && 'devMetric' in s ? s : null;
  } catch {
    return null;
  }
}

/**
 * Checked for every variant before any runs: a folder that holds a run of
 * another config (the base config or --set changed since) is an error, never
 * silently reused or resumed.
 */
function variantState(v: SweepVariant, registries?: ConfigRegistries): VariantState {
  const resolved = path.join(v.runDir, 'config.resolved.json');
  if (fs.existsSync(resolved)) {
    let prev: string;
    try {
      prev = configHash(loadConfig(resolved, [], registries));
    } catch (e) {
      throw new DistillError(`holds a config.resolved.json that does not load (${(e as Error).message}); delete the folder to run this variant again`, v.runDir, { cause: e });
    }
    const now = configHash(v.config);
    if (prev !== now) {
      throw new DistillError(`holds a run of another config (hash ${prev}; this sweep's variant is ${now}): the base config or --set changed since it ran. ` +
        'Give the sweep another --name, or delete this folder to run the variant again', v.runDir);
    }
  }
  const summary = readFinishedSummary(v.runDir);
  if (summary) return { kind: 'done', summary };
  if (fs.existsSync(resolved)) return { kind: 'resume' };
  const parts = fs.existsSync(v.runDir) ? runPartsIn(v.runDir) : [];
  return parts.length ? { kind: 'restart', parts } : { kind: 'new' };
}

export function inProcessRunner(o: Pick<TrainRunOptions, 'quiet' | 'log' | 'registries' | 'handleSignals' | 'onForcedStop'> = {}): VariantRunner {
  return (r) => trainRun(r.variant.config, { ...o, resume: r.resume ? r.variant.runDir : undefined, forceNew: r.forceNew, trackingTags: r.tags });
}

function sweepParams(plan: SweepPlan, metric: string | undefined): Array<{ key: string; value: string }> {
  const s = plan.space;
  const varied: Record<string, string> = s.mode === 'grid'
    ? Object.fromEntries(plan.keys.map((k) => [`sweep.grid.${k}`, JSON.stringify([...new Set(s.grids.flatMap((g) => (g[k] ?? []).map((v) => JSON.stringify(v))))].map((v) => JSON.parse(v)))]))
    : { ...Object.fromEntries(Object.entries(s.params).map(([k, d]) => [`sweep.random.${k}`, JSON.stringify({ [d.kind]: d.args })])), 'sweep.random.n': String(s.n), 'sweep.random.seed': String(s.seed) };
  return flattenParams({
    'sweep.name': plan.name, 'sweep.config': plan.configFile, 'sweep.sets': JSON.stringify(plan.sets.map(redactCredentials)), 'sweep.mode': s.mode,
    'sweep.variants': String(plan.variants.length), 'sweep.metric': metric ?? 'dev metric', 'sweep.dir': path.resolve(plan.dir), ...varied,
  }).params;
}

function describe(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${showValue(v)}`).join(' ');
}

/** What the sweep's open MLflow parent run needs at the end: the table as its note, the files, the best value. */
async function finishParent(tracker: SweepTracker, plan: SweepPlan, table: SweepTable, files: SweepFiles, status: 'FINISHED' | 'FAILED' | 'KILLED'): Promise<void> {
  const best = table.rows[0]?.value;
  await tracker.finish(status, {
    note: `### sweep ${plan.name}: ${plan.variants.length} runs ranked by ${table.metric}\n\n${formatSweepMarkdown(table)}`,
    files: [['sweep.json', files.json], ['sweep.md', files.markdown], ['sweep.tsv', files.tsv], ['report.html', files.report]],
    metrics: best !== null && best !== undefined ? { [`best_${table.metric}`]: best } : {},
  });
}

/** Trains one variant; a failure is its row's status (the sweep goes on), a signal stops the sweep. */
async function runVariant(runner: VariantRunner, v: SweepVariant, s: VariantState, tags: Record<string, string>, say: (l: string) => void): Promise<Pick<VariantOutcome, 'status' | 'summary' | 'error'> & { stop?: TrainingStopped }> {
  say(`${s.kind === 'resume' ? 'resuming from its last checkpoint' : s.kind === 'restart' ? `starting again (a dead attempt left ${(s as { parts: string[] }).parts.join(', ')})` : 'starting'}: ${describe(v.values)}`);
  try {
    const summary = await runner({ variant: v, resume: s.kind === 'resume', forceNew: s.kind === 'restart', tags: { ...tags, 'distill.sweep_variant': v.id } });
    return { status: 'finished', summary };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    if (e instanceof TrainingStopped) {
      say(`stopped by ${e.signal}; rerun the sweep command to resume it and run the rest`);
      return { status: 'stopped', error: msg, stop: e };
    }
    say(`failed: ${msg}`);
    if (!(e instanceof DistillError)) say(e instanceof Error && e.stack ? e.stack : msg);
    return { status: 'failed', error: msg };
  }
}

/**
 * Runs a planned sweep: each variant in its own run folder, `parallel` at a
 * time. Finished variants (a whole summary.json) are skipped, interrupted
 * ones resumed from their checkpoint, so rerunning the same command after a
 * crash or a kill goes on where it stopped. The table (sweep.json, sweep.md,
 * sweep.tsv) and report.html are rewritten after every variant. A signal
 * that stops a variant stops the sweep once the running ones end.
 */
export async function runSweep(plan: SweepPlan, opts: SweepRunOptions = {}): Promise<SweepResult> {
  const log = (l: string) => (opts.log ?? ((x: string) => process.stderr.write(x + '\n')))(redactCredentials(l));
  const parallel = opts.parallel ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new DistillError(`--parallel must be a positive integer, got ${parallel}`);
  if (parallel > 1 && !opts.runner) throw new DistillError('--parallel > 1 needs a runner that trains each variant in its own process (the CLI passes one)');
  const states = plan.variants.map((v) => variantState(v, opts.registries));
  // A bad --metric is caught now when finished runs say what they evaluated (its spelling always).
  resolveMetric(opts.metric, states.flatMap((s) => (s.kind === 'done' ? [s.summary] : [])));
  fs.mkdirSync(plan.dir, { recursive: true });
  for (const d of plan.duplicates) log(`sweep: ${d} (same resolved config): run once`);
  let warned = false;
  const write = () => writeTable(plan, outcomes, files, opts.metric, (l) => void (!warned && ((warned = true), log(l))));
  const runner = opts.runner ?? inProcessRunner({ quiet: opts.quiet, log, registries: opts.registries });
  const uri = plan.base.tracking.mlflow_uri ?? process.env.MLFLOW_TRACKING_URI;
  const tracker = uri
    ? await SweepTracker.start({ uri, experiment: plan.base.tracking.experiment, dir: plan.dir, runName: `${plan.base.name}-sweep-${plan.name}`, params: sweepParams(plan, opts.metric), tags: { 'distill.sweep': plan.name }, log })
    : null;
  const tags = { ...(tracker ? { [PARENT_RUN_TAG]: tracker.runId } : {}), 'distill.sweep': plan.name };
  const outcomes: VariantOutcome[] = plan.variants.map((v, i) => {
    const s = states[i];
    return { id: v.id, values: v.values, runDir: v.runDir, status: s.kind === 'done' ? 'skipped' : 'not run', ...(s.kind === 'done' ? { summary: s.summary } : {}) };
  });
  const files: SweepFiles = { json: path.join(plan.dir, 'sweep.json'), markdown: path.join(plan.dir, 'sweep.md'), tsv: path.join(plan.dir, 'sweep.tsv'), report: path.join(plan.dir, 'report.html') };
  const n = plan.variants.length;
  const say = (i: number) => (l: string) => log(`sweep: [${i + 1}/${n}] ${plan.variants[i].id} ${l}`);
  log(`sweep ${plan.name}: ${n} run${n === 1 ? '' : 's'} in ${plan.dir} (${states.filter((s) => s.kind === 'done').length} finished before, ${states.filter((s) => s.kind === 'resume').length} to resume), ${parallel} at a time`);
  states.forEach((s, i) => s.kind === 'done' && say(i)(`skipped: finished before (${path.join(plan.variants[i].runDir, 'summary.json')})`));
  let table = write();
  let stopped: TrainingStopped | null = null;
  const queue = plan.variants.map((v, i) => ({ v, i })).filter(({ i }) => states[i].kind !== 'done');
  const work = async () => {
    for (let next = queue.shift(); next && !stopped; next = queue.shift()) {
      const { v, i } = next;
      const { stop, ...result } = await runVariant(runner, v, states[i], tags, say(i));
      stopped = stopped ?? stop ?? null;
      outcomes[i] = { ...outcomes[i], ...result };
      table = write();
      const t = table.rows.find((r) => r.id === v.id)!;
      if (t.status === 'finished') say(i)(`finished: ${table.metric} ${t.value === null ? 'n/a' : `${formatMetric(table.metric, t.value)} (best, step ${t.bestStep}); rank ${t.rank} of ${table.rows.filter((r) => r.value !== null).length} so far`}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, Math.max(queue.length, 1)) }, work));
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  if (tracker) await finishParent(tracker, plan, table, files, stopped ? 'KILLED' : failed ? 'FAILED' : 'FINISHED');
  return { plan, table, outcomes, files, mlflow: tracker ? { uri: tracker.client.uri, parentRunId: tracker.runId } : null, stopped, failed };
}

/** sweep.json, sweep.md, sweep.tsv and report.html from the outcomes so far. */
function writeTable(plan: SweepPlan, outcomes: VariantOutcome[], files: SweepFiles, metric: string | undefined, log: (l: string) => void): SweepTable {
  let table: SweepTable;
  try {
    table = buildSweepTable(outcomes, plan.keys, metric, plan.base.train.metric_for_best);
  } catch (e) {
    // Known only once a run has finished: the sweep goes on, ranked by the runs' own dev metric.
    if (!(e instanceof DistillError)) throw e;
    log(`warning: ${e.message}; ranking by the runs' dev metric instead`);
    table = buildSweepTable(outcomes, plan.keys, undefined, plan.base.train.metric_for_best);
  }
  writeJsonAtomic(files.json, {
    name: plan.name, dir: plan.dir, config: plan.configFile, sets: plan.sets.map(redactCredentials), space: plan.space, duplicates: plan.duplicates, ...table,
  });
  writeFileAtomic(files.markdown, formatSweepMarkdown(table));
  writeFileAtomic(files.tsv, formatSweepTsv(table));
  writeSweepReport(files.report, { title: `sweep ${plan.name} (${plan.base.name})`, metric: table.metric, greaterIsBetter: table.greaterIsBetter, keys: table.keys, rows: table.rows });
  return table;
}
