import * as fs from 'fs';

/**
 * Runs `f` holding `lock`, a file created exclusively (O_EXCL) that holds
 * our pid. A lock whose process is gone (killed mid-download) is stale and
 * taken over; a live holder is waited for. Node has no flock(2), and this
 * works the same on every file system that honours O_EXCL.
 */
export async function withFileLock<T>(lock: string, f: () => Promise<T>): Promise<T> {
  while (!tryLock(lock)) await new Promise((ok) => setTimeout(ok, 200));
  try {
    return await f();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function tryLock(lock: string): boolean {
  try {
    fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (holderAlive(lock)) return false;
    fs.rmSync(lock, { force: true });
    return false;
  }
}

function holderAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(lock, 'utf8'));
  } catch {
    return true; // removed or being written this instant: look again next round
  }
  if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statMs(lock) < 10_000;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statMs(lock: string): number {
  try {
    return fs.statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}
