import * as path from 'path';
import { DistillError } from '../util/errors';
import { quarantine } from '../util/quarantine';
import { listCheckpoints, LoadedCheckpoint, loadCheckpointState } from './checkpoint';

/**
 * The newest step checkpoint that loads and matches its manifest. A corrupt
 * newer one (a flipped bit, a truncated file) is named, moved aside and the
 * previous complete one used instead, saying so; with no complete one left,
 * the newest one's error is thrown. Only corruption (a DistillError) falls
 * back: an OS error (permissions, I/O) is not the checkpoint's fault.
 */
export function loadLatestCheckpoint(runDir: string, log: (line: string) => void): LoadedCheckpoint | undefined {
  const all = listCheckpoints(runDir);
  const corrupt: Array<{ dir: string; error: DistillError }> = [];
  for (let i = all.length - 1; i >= 0; i--) {
    let ck: LoadedCheckpoint;
    try {
      ck = loadCheckpointState(all[i]);
    } catch (e) {
      if (!(e instanceof DistillError)) throw e;
      corrupt.push({ dir: all[i], error: e });
      continue;
    }
    // Moved aside only once a complete one is found: with none, the folder stays as it was for a person to look at.
    for (const c of corrupt) {
      const aside = quarantine(c.dir);
      log(`warning: checkpoint ${c.dir} is corrupt (${c.error.message}); moved it to ${path.basename(aside)}; resuming from the previous complete checkpoint ${path.basename(ck.dir)}`);
    }
    return ck;
  }
  if (corrupt.length) throw corrupt[0].error;
  return undefined;
}
