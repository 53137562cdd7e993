import * as fs from 'fs';
import { warnToStderr } from '../util/warn';
import { writeFileAtomic } from '../util/atomic_write';
import { appendJsonLine, dropTornTail, fsyncFile, readJsonLines } from '../util/json_lines_log';
import { whileWriting } from '../util/while_writing';


/**
 * metrics.jsonl in the run folder: one JSON object per logged step or
 * evaluation, an append-only log (util/json_lines_log) whose torn last line is
 * dropped with a message on read and before the first append.
 *
 * Appends are not fsynced one by one: the checkpoint is the durability point.
 * `sync()` runs before each checkpoint, so every line up to a checkpoint's
 * step is on disk when the checkpoint is; lines after it are dropped on resume
 * and logged again, so losing them to a power cut costs nothing, and a flush
 * per logged step would.
 */
export class MetricsLog {
  /** Called with every appended entry (the MLflow tracker listens here). */
  onAppend?: (entry: Record<string, number>) => void;
  private tailChecked = false;

  constructor(readonly file: string, private readonly warn: (message: string) => void = warnToStderr) {}

  append(entry: Record<string, number>): void {
    const e = { ...entry, time: Date.now() };
    whileWriting('metrics log entry', () => {
      if (!this.tailChecked) dropTornTail(this.file, this.warn);
      this.tailChecked = true;
      appendJsonLine(this.file, e);
    });
    this.onAppend?.(e);
  }

  /** Flushes appended lines to disk (before a checkpoint). */
  sync(): void {
    if (fs.existsSync(this.file)) whileWriting('metrics log', () => fsyncFile(this.file));
  }

  /** On resume: drop what was logged after the checkpoint (and a torn last line), so no step appears twice. */
  truncateAfter(step: number): void {
    if (!fs.existsSync(this.file)) return;
    const kept = readJsonLines(this.file, this.warn).lines.filter((l) => (l.value as { step: number }).step <= step);
    whileWriting('metrics log', () => writeFileAtomic(this.file, kept.map((l) => l.text + '\n').join('')));
    this.tailChecked = true;
  }

  read(): Record<string, number>[] {
    return readJsonLines(this.file, this.warn).lines.map((l) => l.value as Record<string, number>);
  }
}
