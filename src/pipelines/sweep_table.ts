import { formatMetric } from '../model/model_card';
import { DistillError } from '../util/errors';
import { TrainRunSummary } from './run_summary';

/** How one variant ended in this sweep invocation. */
export type VariantStatus = 'finished' | 'skipped' | 'failed' | 'stopped' | 'not run';

export interface VariantOutcome {
  id: string;
  values: Record<string, unknown>;
  runDir: string;
  status: VariantStatus;
  summary?: TrainRunSummary;
  error?: string;
}

export interface SweepRow {
  rank: number | null;
  id: string;
  values: Record<string, unknown>;
  status: VariantStatus;
  /** The metric's best value over the run's evaluations (null: no evaluation of it). */
  value: number | null;
  bestStep: number | null;
  last: number | null;
  steps: number | null;
  minutes: number | null;
  runDir: string;
  mlflowRunId: string | null;
  error?: string;
}

export interface SweepTable {
  metric: string;
  greaterIsBetter: boolean;
  keys: string[];
  rows: SweepRow[];
}

/**
 * "spearman", "mse_to_teacher:min": the metric to rank by. Its direction is
 * the runs' own (devMetric.greaterIsBetter) when it is the metric that
 * decided their best model; any other evaluated metric needs :max or :min.
 */
export function resolveMetric(arg: string | undefined, summaries: TrainRunSummary[]): { metric: string; greaterIsBetter: boolean } | null {
  const m = arg ? /^([^:]+)(?::(max|min))?$/.exec(arg) : null;
  if (arg && !m) throw new DistillError(`--metric "${arg}": expected NAME or NAME:max / NAME:min`);
  const name = m?.[1] ?? summaries.find((s) => s.devMetric)?.devMetric?.name;
  if (!name) return null;
  const seen = [...new Set(summaries.flatMap((s) => s.evals.flatMap((e) => Object.keys(e).filter((k) => k !== 'step'))))];
  if (summaries.length && !seen.includes(name)) throw new DistillError(`--metric "${name}" is not evaluated by these runs; evaluated: ${seen.join(', ') || 'nothing (no dev set)'}`);
  if (m?.[2]) return { metric: name, greaterIsBetter: m[2] === 'max' };
  const own = summaries.find((s) => s.devMetric?.name === name)?.devMetric;
  if (own) return { metric: name, greaterIsBetter: own.greaterIsBetter };
  if (!summaries.length) return null;
  throw new DistillError(`--metric "${name}" did not decide the runs' best model, so its direction is unknown; give --metric ${name}:max or ${name}:min`);
}

function row(o: VariantOutcome, metric: string | null, greaterIsBetter: boolean): SweepRow {
  const s = o.summary;
  const points = (s?.evals ?? []).filter((e) => metric !== null && Number.isFinite(e[metric])).map((e) => ({ step: e.step, v: e[metric!] }));
  const best = points.reduce<{ step: number; v: number } | null>((b, p) => (!b || (greaterIsBetter ? p.v > b.v : p.v < b.v) ? p : b), null);
  return {
    rank: null, id: o.id, values: o.values, status: o.status, value: best?.v ?? null, bestStep: best?.step ?? null, last: points.length ? points[points.length - 1].v : null,
    steps: s?.steps ?? null, minutes: s ? +(s.seconds / 60).toFixed(2) : null, runDir: o.runDir, mlflowRunId: s?.mlflow?.runId ?? null, ...(o.error ? { error: o.error } : {}),
  };
}

/** The sweep's table: one row per variant, ranked by the metric (runs without a value last, in plan order). */
export function buildSweepTable(outcomes: VariantOutcome[], keys: string[], metricArg?: string, fallbackMetric = 'spearman'): SweepTable {
  const summaries = outcomes.flatMap((o) => (o.summary ? [o.summary] : []));
  const resolved = resolveMetric(metricArg, summaries) ?? { metric: metricArg?.split(':')[0] ?? fallbackMetric, greaterIsBetter: !metricArg?.endsWith(':min') };
  const rows = outcomes.map((o) => row(o, resolved.metric, resolved.greaterIsBetter));
  const order = rows.map((r, i) => ({ r, i })).sort((a, b) => {
    if (a.r.value === null || b.r.value === null) return a.r.value === null ? (b.r.value === null ? a.i - b.i : 1) : -1;
    return (resolved.greaterIsBetter ? b.r.value - a.r.value : a.r.value - b.r.value) || a.i - b.i;
  }).map(({ r }) => r);
  order.forEach((r, i) => (r.rank = r.value === null ? null : i + 1));
  return { ...resolved, keys, rows: order };
}

/** A key's value as a table cell: strings bare, everything else as JSON. */
export function showValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function cells(t: SweepTable): string[][] {
  const f = (v: number | null) => (v === null ? '' : formatMetric(t.metric, v));
  const head = ['rank', ...t.keys, `${t.metric} (best, ${t.greaterIsBetter ? 'higher' : 'lower'} is better)`, 'at step', 'last', 'steps', 'minutes', 'status', 'id'];
  return [head, ...t.rows.map((r) => [r.rank === null ? '' : String(r.rank), ...t.keys.map((k) => (k in r.values ? showValue(r.values[k]) : '')), f(r.value), r.bestStep === null ? '' : String(r.bestStep),
    f(r.last), r.steps === null ? '' : String(r.steps), r.minutes === null ? '' : String(r.minutes), r.error ? `${r.status}: ${r.error}` : r.status, r.id])];
}

export function formatSweepMarkdown(t: SweepTable): string {
  const [head, ...body] = cells(t);
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [head, head.map(() => '---'), ...body].map((r) => `| ${r.map(esc).join(' | ')} |`).join('\n') + '\n';
}

export function formatSweepTsv(t: SweepTable): string {
  return cells(t).map((r) => r.map((c) => c.replace(/[\t\n]/g, ' ')).join('\t')).join('\n') + '\n';
}

/** The table aligned for a terminal. */
export function formatSweepText(t: SweepTable): string {
  const rows = cells(t);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((x, c) => x.padEnd(w[c])).join('  ').trimEnd()).join('\n');
}
