import { writeFileAtomic } from '../util/atomic_write';
import { whileWriting } from '../util/while_writing';

type Entry = Record<string, number>;

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** One SVG line chart of several series over steps, with axes and tick labels; no scripts, no external assets. */
function chart(title: string, series: Array<{ name: string; points: Array<[number, number]> }>, log = false): string {
  const W = 560, H = 260, L = 64, R = 16, T = 34, B = 36;
  const pts = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y) && (!log || y > 0));
  if (!pts.length) return `<figure class="chart" data-title="${esc(title)}" data-points="0"><figcaption>${esc(title)}: no data yet</figcaption></figure>`;
  const f = (y: number) => (log ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => f(p[1]));
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
  const legend = series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">\u25A0 ${esc(s.name)}</tspan>`).join('  ');
  return `<figure class="chart" data-title="${esc(title)}" data-points="${pts.length}"><svg width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>
<text x="${L}" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
<text x="${W - R}" y="18" font-size="11" text-anchor="end">${legend}</text>
<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#444"/><line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#444"/>
${ticks.map((t) => `<text x="${L - 6}" y="${(H - B - ((t - y0) / (y1 - y0)) * (H - T - B) + 4).toFixed(1)}" font-size="10" text-anchor="end">${fmt(t)}</text>`).join('')}
<text x="${L}" y="${H - B + 16}" font-size="10">${x0}</text><text x="${W - R}" y="${H - B + 16}" font-size="10" text-anchor="end">${x1}</text>
<text x="${(L + W - R) / 2}" y="${H - 6}" font-size="11" text-anchor="middle">step</text>
${lines}</svg></figure>`;
}

/**
 * The run's HTML report: loss terms, learning rate, dev Spearman and
 * throughput over steps, plus a summary table. One self-contained file a
 * person opens in a browser; no server, no network.
 */
export function renderReport(title: string, entries: Entry[], summary: Record<string, unknown> | null): string {
  const series = (key: string) => ({ name: key, points: entries.filter((e) => e[key] !== undefined).map((e) => [e.step, e[key]] as [number, number]) });
  const lossKeys = [...new Set(entries.flatMap((e) => Object.keys(e).filter((k) => k === 'loss' || k.startsWith('loss/'))))];
  const rows = summary ? Object.entries(summary).filter(([, v]) => typeof v !== 'object' || v === null).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(String(v))}</td></tr>`).join('') : '';
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}.grid{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #ddd}table{border-collapse:collapse;margin-top:16px}th,td{border:1px solid #ddd;padding:4px 8px;text-align:left}</style>
</head><body><h1>${esc(title)}</h1><div class="grid">
${chart('Loss', lossKeys.map(series), true)}
${chart('Learning rate', [series('lr')])}
${chart('Dev Spearman (STS, x100)', [series('eval_spearman')])}
${chart('Throughput (sentences/s)', [series('sentences_per_second')])}
</div>${rows ? `<table>${rows}</table>` : ''}</body></html>`;
}

export function writeReport(file: string, title: string, entries: Entry[], summary: Record<string, unknown> | null): void {
  whileWriting('HTML report', () => writeFileAtomic(file, renderReport(title, entries, summary)));
}
