import * as fs from 'fs';
import * as path from 'path';
import { processAlive } from './process_alive';

/** The names util/atomic_write gives its temporaries: `<target>.tmp-PID-HEX` (being built) and `<target>.old-PID-HEX` (being replaced). */
const TEMP_NAME = /\.(?:tmp|old)-(\d+)-[0-9a-f]{8}$/;

export interface RemovedLeftover {
  path: string;
  /** The process that wrote it, now dead. */
  pid: number;
  bytes: number;
}

/**
 * Removes the temporaries of interrupted atomic writes directly in `dir` (a
 * killed checkpoint, best/, report or export) whose writer is no longer
 * running. A live writer's temporary is kept: it may be mid-write.
 */
export function removeLeftoverTemps(dir: string): RemovedLeftover[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw e;
  }
  const removed: RemovedLeftover[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    const pid = m ? Number(m[1]) : 0;
    if (!m || pid === process.pid || processAlive(pid)) continue;
    const p = path.join(dir, name);
    const bytes = sizeOf(p);
    fs.rmSync(p, { recursive: true, force: true });
    removed.push({ path: p, pid, bytes });
  }
  return removed;
}

/** One line per dead writer: "removed leftovers of interrupted writes by process 12 (no longer running): a (1.2 MB), b (0.0 MB)". */
export function describeLeftovers(removed: RemovedLeftover[]): string[] {
  const byPid = new Map<number, RemovedLeftover[]>();
  for (const r of removed) byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), r]);
  return [...byPid].map(([pid, rs]) => `removed leftovers of interrupted writes by process ${pid} (no longer running): ${rs.map((r) => `${r.path} (${(r.bytes / 1e6).toFixed(1)} MB)`).join(', ')}`);
}

function sizeOf(p: string): number {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  return fs.readdirSync(p).reduce((n, f) => n + sizeOf(path.join(p, f)), 0);
}
