import { writeFileAtomic } from '../util/atomic_write';
import { whileWriting } from '../util/while_writing';
import { formatMetric } from '../model/model_card';

type Entry = Record<string, number>;

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
/** Reference lines (the teacher's score): dashed, in a colour no series uses. */
const REFERENCE_COLOR = '#17becf';

/** A horizontal dashed line at `value`, e.g. the teacher's dev score. */
export interface ReferenceLine {
  name: string;
  value: number;
}

/** What the report's optional parts need: the teacher's dev Spearman (x100) when the run measured it. */
export interface ReportOptions {
  teacherSpearman?: number | null;
}

/** Table cells: integers as they are, Spearman to 2 decimals, other numbers to 4 significant digits. */
function cell(key: string, v: unknown): string {
  return typeof v === 'number' && !Number.isInteger(v) ? formatMetric(key, v) : String(v);
}

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One SVG line chart of several series over steps, with axes and tick labels; no scripts, no external assets. */
function chart(title: string, series: Array<{ name: string; points: Array<[number, number]> }>, log = false, refs: ReferenceLine[] = []): string {
  const W = 560, H = 260, L = 64, R = 16, T = 34, B = 36;
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!log || y > 0));
  const refsShown = pts.length ? refs.filter((r) => Number.isFinite(r.value) && (!log || r.value > 0)) : [];
  if (!pts.length) return `<figure class="chart" data-title="${esc(title)}" data-points="0"><figcaption>${esc(title)}: no data yet</figcaption></figure>`;
  const f = (y: number) => (log ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]);
  const ys = [...pts.map((p) => f(p[1])), ...refsShown.map((r) => f(r.value))];
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) || 1];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const px = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number) => H - B - ((f(y) - y0) / (y1 - y0)) * (H - T - B);
  const ticks = [0, 0.5, 1].map((t) => y0 + t * (y1 - y0));
  const fmt = (v: number) => (log ? (10 ** v).toExponential(1) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
  const lines = series.map((s, i) => {
    const d = s.points.filter(([, y]) => Number.isFinite(y) && (!log || y > 0)).map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join('');
    const dots = s.points.length <= 40 ? s.points.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${COLORS[i % COLORS.length]}"/>`).join('') : '';
    return `<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2"/>${dots}`;
  }).join('');
  const refLines = refsShown.map((r) => `<line class="reference" data-name="${esc(r.name)}" data-value="${esc(formatMetric(title, r.value))}" x1="${L}" y1="${py(r.value).toFixed(1)}" x2="${W - R}" y2="${py(r.value).toFixed(1)}" stroke="${REFERENCE_COLOR}" stroke-width="2" stroke-dasharray="8 5"/>`
    + `<text x="${W - R - 4}" y="${(py(r.value) - 5).toFixed(1)}" font-size="10" text-anchor="end" fill="${REFERENCE_COLOR}">${esc(r.name)} ${esc(formatMetric(title, r.value))}</text>`).join('');
  const legend = [...series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">\u25A0 ${esc(s.name)}</tspan>`), ...refsShown.map((r) => `<tspan fill="${REFERENCE_COLOR}">- - ${esc(r.name)}</tspan>`)].join('  ');
  return `<figure class="chart" data-title="${esc(title)}" data-points="${pts.length}"><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>
<text x="${L}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<text x="${W - R}" y="18" font-size="11" text-anchor="end">${legend}</text>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>
${ticks.map((t) => `<text x="${L - 6}" y="${(H - B - ((t - y0) / (y1 - y0)) * (H - T - B) + 4).toFixed(1)}" font-size="10" text-anchor="end">${fmt(t)}</text>`).join('')}
<text x="${L}" y="${H - B + 16}" font-size="10">${x0}</text><text x="${W - R}" y="${H - B + 16}" font-size="10" text-anchor="end">${x1}</text>
<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">step</text>
${refLines}${lines}</svg></figure>`;
}

/**
 * The run's HTML report: loss terms, learning rate, dev Spearman and
 * throughput over steps, plus a summary table. One self-contained file a
 * person opens in a browser; no server, no network.
 */
export function renderReport(title: string, entries: Entry[], summary: Record<string, unknown> | null, opts: ReportOptions = {}): string {
  const series = (key: string) => ({ name: key, points: entries.filter((e) => e[key] !== undefined).map((e) => [e.step, e[key]] as [number, number]) });
  const lossKeys = [...new Set(entries.flatMap((e) => Object.keys(e).filter((k) => k === 'loss' || k.startsWith('loss/'))))];
  const rows = summary ? Object.entries(summary).filter(([, v]) => typeof v !== 'object' || v === null).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(cell(k, v))}</td></tr>`).join('') : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #ddd}table{border-collapse:collapse;margin-top:16px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}</style>
</head><body><h1>${esc(title)}</h1><div class="grid">
${chart('Loss', lossKeys.map(series), true)}
${chart('Learning rate', [series('lr')])}
${chart('Dev Spearman (STS, x100)', [series('eval_spearman')], false, opts.teacherSpearman != null ? [{ name: 'teacher', value: opts.teacherSpearman }] : [])}
${chart('Throughput (sentences/s)', [series('sentences_per_second')])}
</div>${rows ? `<table>${rows}</table>` : ''}</body></html>`;
}

export function writeReport(file: string, title: string, entries: Entry[], summary: Record<string, unknown> | null, opts: ReportOptions = {}): void {
  whileWriting('HTML report', () => writeFileAtomic(file, renderReport(title, entries, summary, opts)));
}
