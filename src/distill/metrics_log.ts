import * as fs from 'fs';
import { writeFileAtomic } from '../util/atomic_write';

/** metrics.jsonl in the run folder: one JSON object per logged step or evaluation. */
export class MetricsLog {
  /** Called with every appended entry (the MLflow tracker listens here). */
  onAppend?: (entry: Record<string, number>) => void;

  constructor(readonly file: string) {}

  append(entry: Record<string, number>): void {
    const e = { ...entry, time: Date.now() };
    fs.appendFileSync(this.file, JSON.stringify(e) + '\n');
    this.onAppend?.(e);
  }

  /** On resume: drop what was logged after the checkpoint, so no step appears twice. */
  truncateAfter(step: number): void {
    if (!fs.existsSync(this.file)) return;
    const kept = fs.readFileSync(this.file, 'utf8').split('\n').filter((l) => l && JSON.parse(l).step <= step);
    writeFileAtomic(this.file, kept.map((l) => l + '\n').join(''));
  }

  read(): Record<string, number>[] {
    if (!fs.existsSync(this.file)) return [];
    return fs.readFileSync(this.file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }
}
