import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { FileLock } from '../util/file_lock';

/** The lock file inside a run folder, held by the one process training in it. */
export const RUN_LOCK_FILE = 'run.lock';

/**
 * Takes the run folder's lock for the whole run (creating the folder for a
 * new run). `close` releases it and removes the folder again if this run
 * created it and left nothing in it (bad input found after the lock).
 */
export function lockRunFolder(runDir: string, resuming: boolean, log: (line: string) => void): { close(): void } {
  const existed = folderExists(runDir, resuming);
  if (!existed) fs.mkdirSync(runDir, { recursive: true });
  let lock: FileLock;
  try {
    lock = FileLock.acquire(path.join(runDir, RUN_LOCK_FILE), { what: 'run folder', where: runDir, log });
  } catch (e) {
    if (!existed) removeIfEmpty(runDir);
    throw e;
  }
  return {
    close: () => {
      lock.release();
      if (!existed) removeIfEmpty(runDir);
    },
  };
}

function folderExists(runDir: string, resuming: boolean): boolean {
  let st: fs.Stats;
  try {
    st = fs.statSync(runDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (resuming) throw new DistillError('run folder to resume does not exist', runDir);
    return false;
  }
  if (!st.isDirectory()) throw new DistillError(`${resuming ? 'run folder to resume' : 'output_dir'} is a file, expected a run folder`, runDir);
  return true;
}

function removeIfEmpty(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    /* not empty (another run's lock, or files): keep it */
  }
}
