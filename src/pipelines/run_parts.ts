import * as fs from 'fs';
import * as path from 'path';

/** What a run writes into its folder; any one of them means the folder holds (part of) a run. */
export const RUN_PARTS = ['config.resolved.json', 'metrics.jsonl', 'summary.json', 'report.html', 'tracking.json', 'teacher.json', 'best', 'checkpoints', '.teacher-cache'] as const;

/** What a restart from step 0 drops: the dead attempt's history and what was judged from it. */
const RESTART_DROPS = ['metrics.jsonl', 'best', 'summary.json', 'report.html'] as const;

/** The run parts present in `dir`, folders with a trailing "/" (for messages). */
export function runPartsIn(dir: string, parts: readonly string[] = RUN_PARTS): string[] {
  return parts.filter((p) => fs.existsSync(path.join(dir, p))).map((p) => (fs.statSync(path.join(dir, p)).isDirectory() ? `${p}/` : p));
}

/** Deletes the given run parts (as runPartsIn names them) from `dir`. */
export function removeRunParts(dir: string, parts: string[]): void {
  for (const p of parts) fs.rmSync(path.join(dir, p.replace(/\/$/, '')), { recursive: true, force: true });
}

/**
 * A run that died before its first step checkpoint starts again from step 0:
 * its metrics, best/ and report would otherwise mix with the new attempt's.
 * Returns what was dropped, for the message ("metrics.jsonl (12 lines)").
 */
export function dropForRestart(dir: string): string[] {
  const parts = runPartsIn(dir, RESTART_DROPS);
  const described = parts.map((p) => {
    const n = p === 'metrics.jsonl' ? lineCount(path.join(dir, p)) : 0;
    return p === 'metrics.jsonl' ? `${p} (${n} line${n === 1 ? '' : 's'})` : p;
  });
  removeRunParts(dir, parts);
  return described;
}

function lineCount(file: string): number {
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
}
