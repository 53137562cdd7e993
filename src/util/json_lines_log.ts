import * as fs from 'fs';
import { DistillError } from './errors';

/**
 * An append-only JSON-lines log (metrics.jsonl). Each record is one write of
 * the whole line, newline last, so an append cut off part-way (a full disk, a
 * kill, a power cut) can only leave an unterminated last line: readers drop
 * that line with a message and never guess at it. A line that fails to parse
 * anywhere else is corruption, not a torn append, and is an error naming it.
 */

export interface LogLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  value: unknown;
}

/**
 * Appends `record` + "\n" with one write whose byte count is checked. On a
 * failure part-way, the bytes already written are cut off again, so the file
 * ends at the previous whole line. A run folder has one writer (the run), so
 * cutting back to the size seen before the write cannot drop anyone else's line.
 */
export function appendJsonLine(file: string, record: unknown): void {
  const bytes = Buffer.from(JSON.stringify(record) + '\n', 'utf8');
  const fd = fs.openSync(file, 'a');
  let before = -1;
  try {
    before = fs.fstatSync(fd).size;
    let off = fs.writeSync(fd, bytes);
    // A short write is how write(2) reports a limit reached part-way; writing the rest gets the real error (ENOSPC, EFBIG).
    while (off < bytes.length) {
      const n = fs.writeSync(fd, bytes, off, bytes.length - off);
      if (n <= 0) throw Object.assign(new Error(`write returned ${n} with ${bytes.length - off} bytes of the line left`), { code: 'EIO' });
      off += n;
    }
  } catch (e) {
    if (before >= 0) cutBack(fd, before);
    const err = e as NodeJS.ErrnoException;
    if (err instanceof Error && typeof err.code === 'string' && err.path === undefined) err.path = file;
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

function cutBack(fd: number, size: number): void {
  try {
    fs.ftruncateSync(fd, size);
  } catch {
    // Readers drop a torn last line anyway; the write's own error is the one to report.
  }
}

/**
 * Every whole line of the log, parsed. An unterminated last line is torn:
 * it is left out and reported through `warn` (with `validBytes`, where the
 * whole lines end, for a caller that repairs the file). Blank lines are skipped.
 */
export function readJsonLines(file: string, warn: (message: string) => void): { lines: LogLine[]; validBytes: number } {
  if (!fs.existsSync(file)) return { lines: [], validBytes: 0 };
  const bytes = fs.readFileSync(file);
  const end = bytes.lastIndexOf(0x0a) + 1;
  const whole = bytes.subarray(0, end).toString('utf8').split('\n');
  whole.pop();
  const lines: LogLine[] = [];
  whole.forEach((text, i) => {
    if (!text.trim()) return;
    try {
      lines.push({ line: i + 1, text, value: JSON.parse(text) });
    } catch (e) {
      throw new DistillError(`line ${i + 1} is not valid JSON (${(e as Error).message}); only a torn last line is dropped by itself: fix or delete this line`, file, { cause: e });
    }
  });
  if (end < bytes.length) {
    warn(`${file}: dropped torn last line ${whole.length + 1} (${bytes.length - end} bytes without a newline: an append cut off by a full disk, a kill or a power cut)`);
  }
  return { lines, validBytes: end };
}

/** Cuts an unterminated last line off before appending, so a new record never glues onto a torn one. */
export function dropTornTail(file: string, warn: (message: string) => void): void {
  if (!fs.existsSync(file)) return;
  const size = fs.statSync(file).size;
  if (size === 0) return;
  const fd = fs.openSync(file, 'r+');
  try {
    const last = Buffer.alloc(1);
    fs.readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    const { validBytes } = readJsonLines(file, warn);
    fs.ftruncateSync(fd, validBytes);
  } finally {
    fs.closeSync(fd);
  }
}

export function fsyncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
