/**
 * A progress line for long work: done/total, rate and ETA, plus whatever
 * fields the caller adds (loss terms). Redraws in place on a terminal and
 * prints a line every few seconds otherwise, so CI logs stay readable.
 */
export class Progress {
  private readonly start = Date.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit = 'items',
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
    /** Shows amounts (done, total, rate) in the caller's units, e.g. bytes as "12.3 MB". */
    private readonly formatAmount: (n: number) => string = String,
  ) {
    this.tty = !!stream.isTTY;
  }

  /** For work whose size is known only once it starts. */
  setTotal(total: number): void {
    this.total = total;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.start) / 1000;
  }

  update(done: number, fields: Record<string, string | number> = {}): void {
    if (this.quiet) return;
    const now = Date.now();
    const interval = this.tty ? 100 : 5000;
    if (done < this.total && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const secs = Math.max(1e-3, (now - this.start) / 1000);
    const rate = done / secs;
    const eta = rate > 0 ? (this.total - done) / rate : Infinity;
    const frac = this.total ? done / this.total : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = '='.repeat(filled) + (filled < width ? '>' : '') + ' '.repeat(Math.max(0, width - filled - 1));
    const extra = Object.entries(fields).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join('  ');
    const line = `${this.label} [${bar}] ${this.formatAmount(done)}/${this.formatAmount(this.total)} ${(frac * 100).toFixed(0)}%  ${this.formatAmount === String ? `${rate.toFixed(1)} ${this.unit}` : this.formatAmount(rate)}/s  ETA ${formatDuration(eta)}${extra ? '  ' + extra : ''}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K`);
    else this.stream.write(line + '\n');
    if (done >= this.total && this.tty) this.stream.write('\n');
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 || Number.isInteger(v) ? String(Math.round(v)) : v.toPrecision(4);
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
