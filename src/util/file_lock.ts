import * as fs from 'fs';
import * as os from 'os';
import { DistillError } from './errors';
import { processAlive, processStartedAt } from './process_alive';

/** What a lock file holds: who took the lock, on which machine, when, and with what command. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** ISO time the lock was taken. */
  started: string;
  command: string;
  /** The scheduler task (e.g. "slurm 4242_3") the holder ran as, when it ran as one. */
  task?: string;
}

export interface LockOptions {
  /** What the lock guards, for messages: "run folder", "teacher cache shard 3 of 16". */
  what: string;
  /** The path messages name (the folder the lock guards); default the lock file. */
  where?: string;
  /** Where taking over a dead process's lock is reported. */
  log?: (line: string) => void;
  /**
   * The scheduler task this process runs as, stable across its retries
   * ("slurm 4242_3"). A scheduler runs one attempt of a task at a time, so a
   * lock held by this task on another host is an earlier attempt, dead.
   */
  task?: string;
}

/** A lock file that is still empty this long after it was created belongs to a process that died between create and write. */
const WRITE_WINDOW_MS = 2000;
/** A take-over guard older than this belongs to a process that died in the middle of a take-over (which takes microseconds). */
const STALE_GUARD_MS = 10_000;
const MAX_TRIES = 200;

/**
 * An exclusive lock: a file created with O_EXCL holding JSON
 * {pid, hostname, started, command}. Only the process that created it holds
 * it; `release` (and, failing that, process exit) removes it. A lock whose
 * holder is dead (same host, no such pid) is taken over with a message; a
 * lock from another host is never judged dead, since its pid means nothing
 * here, unless it was taken by an earlier attempt of this scheduler task.
 */
export class FileLock {
  private held = true;
  private readonly onExit = () => this.release();

  private constructor(readonly file: string, readonly holder: LockHolder, private readonly text: string) {
    // A process that ends without reaching its `finally` (process.exit, an uncaught error) still frees the lock.
    process.on('exit', this.onExit);
  }

  /** Takes the lock, or throws a DistillError naming the live holder, its pid and since when. */
  static acquire(file: string, opts: LockOptions): FileLock {
    const got = FileLock.tryAcquire(file, opts);
    if (got instanceof FileLock) return got;
    throw new DistillError(heldMessage(file, got, opts.what), opts.where ?? file);
  }

  /** Takes the lock, or returns its live holder without waiting. */
  static tryAcquire(file: string, opts: LockOptions): FileLock | LockHolder {
    const me: LockHolder = { pid: process.pid, hostname: os.hostname(), started: new Date().toISOString(), command: commandLine(), ...(opts.task ? { task: opts.task } : {}) };
    const text = JSON.stringify(me) + '\n';
    for (let i = 0; i < MAX_TRIES; i++) {
      if (createExclusive(file, text)) return new FileLock(file, me, text);
      const seen = readLock(file);
      if (!seen) continue; // released between our create and read
      if (!seen.holder && Date.now() - seen.mtimeMs < WRITE_WINDOW_MS) {
        sleepSync(20); // its creator is writing it right now
        continue;
      }
      const stale = staleReason(seen.holder, opts.task);
      if (stale === undefined) return seen.holder!;
      if (removeIfUnchanged(file, seen.text)) opts.log?.(`${opts.where ?? file}: taking over the ${opts.what} lock of ${stale}`);
      else sleepSync(10);
    }
    throw new DistillError(`could not take the ${opts.what} lock: it kept changing hands`, opts.where ?? file);
  }

  /** Waits (polling) while a live process holds the lock, then takes it. `onWait` hears of each new holder once. */
  static async acquireWhenFree(file: string, opts: LockOptions & { pollMs?: number; onWait?: (h: LockHolder) => void }): Promise<FileLock> {
    let last = '';
    for (;;) {
      const got = FileLock.tryAcquire(file, opts);
      if (got instanceof FileLock) return got;
      if (`${got.pid}@${got.started}` !== last) opts.onWait?.(got);
      last = `${got.pid}@${got.started}`;
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 100));
    }
  }

  /** Removes the lock file if it is still ours; safe to call twice. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    process.off('exit', this.onExit);
    try {
      if (fs.readFileSync(this.file, 'utf8') === this.text) fs.unlinkSync(this.file);
    } catch {
      /* already gone: nothing to release */
    }
  }
}

/** "run folder is in use by process 123 on host h since 2026-...". */
function heldMessage(file: string, h: LockHolder, what: string): string {
  const host = h.hostname === os.hostname() ? '' : ` on ${h.hostname}`;
  return `${what} is in use by process ${h.pid}${host} since ${h.started} (${h.command}); wait for it to finish, ` +
    `or if that process is gone${host ? ' (this machine cannot check another host)' : ''}, delete ${file}`;
}

function commandLine(): string {
  const c = process.argv.slice(1).join(' ');
  return c.length > 300 ? c.slice(0, 297) + '...' : c;
}

/** O_EXCL create; false when the file exists. The content is written before anyone can take it for complete (see WRITE_WINDOW_MS). */
function createExclusive(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return true;
}

function readLock(file: string): { text: string; holder?: LockHolder; mtimeMs: number } | undefined {
  let text: string;
  let mtimeMs: number;
  try {
    text = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const h = JSON.parse(text);
    if (Number.isInteger(h.pid) && typeof h.hostname === 'string' && typeof h.started === 'string') return { text, holder: { command: '', ...h }, mtimeMs };
  } catch {
    /* torn or foreign: judged by age below */
  }
  return { text, mtimeMs };
}

/** Why the holder is gone ("process 123 (since ..., cmd), which is no longer running"), or undefined while it may be alive. */
function staleReason(h: LockHolder | undefined, task: string | undefined): string | undefined {
  if (!h) return 'a process that died while taking it (the lock file is empty or unreadable)';
  if (h.hostname !== os.hostname()) {
    return task !== undefined && h.task === task ? `process ${h.pid} on ${h.hostname} (since ${h.started}), an earlier attempt of scheduler task ${task}` : undefined;
  }
  const who = `process ${h.pid} (since ${h.started}, ${h.command})`;
  if (h.pid === process.pid) {
    // Our own pid: either this process holds it, or an earlier process with the same pid (a restarted container) died holding it.
    return Date.parse(h.started) < processStartedAt() - 1000 ? `${who}, an earlier process with this process's pid` : undefined;
  }
  return processAlive(h.pid) ? undefined : `${who}, which is no longer running`;
}

/**
 * Deletes a dead holder's lock file unless it changed since we read it. The
 * guard file makes read-compare-delete one step among processes taking over
 * at once, so none deletes a lock another has just taken.
 */
function removeIfUnchanged(file: string, seenText: string): boolean {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = fs.openSync(guard, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > STALE_GUARD_MS) fs.rmSync(guard, { force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    let now: string;
    try {
      now = fs.readFileSync(file, 'utf8');
    } catch {
      return false;
    }
    if (now !== seenText) return false;
    fs.unlinkSync(file);
    return true;
  } finally {
    fs.closeSync(fd);
    fs.rmSync(guard, { force: true });
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
