import { writeFileAtomic } from '../util/atomic_write';
import { whileWriting } from '../util/while_writing';
import { formatMetric } from '../model/model_card';
import { COLORS, esc } from './html_report';

/** What the sweep report draws: each variant's values and its metric. */
export interface SweepReportData {
  title: string;
  metric: string;
  greaterIsBetter: boolean;
  keys: string[];
  rows: Array<{ id: string; values: Record<string, unknown>; value: number | null; status: string }>;
}

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The metric against one key: a dot per run, numeric keys on a linear axis
 * (log when every value is > 0 and they span more than 20x), anything else
 * (names, lists, mappings) as evenly spaced categories in first-seen order.
 */
function scatter(key: string, metric: string, points: Array<{ x: unknown; y: number; id: string; color: string }>): string {
  const W = 560, H = 260, L = 64, R = 16, T = 34, B = 44;
  if (!points.length) return `<figure class="chart" data-title="${esc(key)}" data-points="0"><figcaption>${esc(metric)} vs ${esc(key)}: no finished runs yet</figcaption></figure>`;
  const numeric = points.every((p) => typeof p.x === 'number');
  const cats = [...new Set(points.map((p) => show(p.x)))];
  const nums = numeric ? points.map((p) => p.x as number) : [];
  const log = numeric && nums.every((x) => x > 0) && Math.max(...nums) / Math.min(...nums) > 20;
  const fx = (x: unknown) => (numeric ? (log ? Math.log10(x as number) : (x as number)) : cats.indexOf(show(x)));
  const xs = points.map((p) => fx(p.x));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const ys = points.map((p) => p.y);
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => L + 12 + ((x - x0) / (x1 - x0)) * (W - L - R - 24);
  const py = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - T - B);
  const xTicks = numeric ? [...new Set(nums)].sort((a, b) => a - b).map((v) => ({ at: fx(v), label: String(v) })) : cats.map((c, i) => ({ at: i, label: c.length > 18 ? c.slice(0, 17) + '\u2026' : c }));
  const dots = points.map((p) => `<circle cx="${px(fx(p.x)).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="4" fill="${p.color}" fill-opacity="0.8" data-id="${esc(p.id)}" data-x="${esc(show(p.x))}" data-y="${esc(formatMetric(metric, p.y))}"><title>${esc(p.id)}: ${esc(formatMetric(metric, p.y))}</title></circle>`).join('');
  return `<figure class="chart" data-title="${esc(key)}" data-points="${points.length}"><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(metric)} vs ${esc(key)}">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>
<text x="${L}" y="18" font-size="14" font-weight="bold">${esc(metric)} vs ${esc(key)}${log ? ' (log axis)' : ''}</text>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>
${[y0, (y0 + y1) / 2, y1].map((t) => `<text x="${L - 6}" y="${(py(t) + 4).toFixed(1)}" font-size="10" text-anchor="end">${esc(formatMetric(metric, t))}</text>`).join('')}
${xTicks.map((t) => `<text x="${px(t.at).toFixed(1)}" y="${H - B + 14}" font-size="10" text-anchor="middle">${esc(t.label)}</text>`).join('')}
<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">${esc(key)}</text>
${dots}</svg></figure>`;
}

/** The sweep's HTML report: the metric against each varied key, then the ranked table. Self-contained, no scripts. */
export function renderSweepReport(d: SweepReportData): string {
  // One colour per run, the same in every chart and in the table's rank column.
  const color = (i: number) => COLORS[i % COLORS.length];
  const done = d.rows.map((r, i) => ({ ...r, color: color(i) })).filter((r) => r.value !== null);
  const charts = d.keys.map((k) => scatter(k, d.metric, done.filter((r) => k in r.values).map((r) => ({ x: r.values[k], y: r.value!, id: r.id, color: r.color })))).join('\n');
  const head = ['rank', ...d.keys, d.metric, 'status', 'id'].map((h) => `<th>${esc(h)}</th>`).join('');
  const body = d.rows.map((r, i) => `<tr><td>${r.value === null ? '' : `<span style="color:${color(i)}">\u25CF</span> ${i + 1}`}</td>${d.keys.map((k) => `<td>${k in r.values ? esc(show(r.values[k])) : ''}</td>`).join('')}<td>${r.value === null ? '' : esc(formatMetric(d.metric, r.value))}</td><td>${esc(r.status)}</td><td>${esc(r.id)}</td></tr>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(d.title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #ddd}table{border-collapse:collapse;margin-top:16px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}</style>
</head><body><h1>${esc(d.title)}</h1><p>${esc(d.metric)}: best value of each run over its evaluations (${d.greaterIsBetter ? 'higher' : 'lower'} is better).</p><div class="grid">
${charts}
</div><table><tr>${head}</tr>${body}</table></body></html>`;
}

export function writeSweepReport(file: string, d: SweepReportData): void {
  whileWriting('sweep report', () => writeFileAtomic(file, renderSweepReport(d)));
}
