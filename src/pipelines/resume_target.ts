import * as fs from 'fs';
import * as path from 'path';
import { listCheckpoints, STATE_FILE } from '../distill/checkpoint';
import { BEST_INFO_FILE } from '../distill/best_model';
import { DistillError } from '../util/errors';

/**
 * `--resume` takes a run folder. Given a folder inside one (a step
 * checkpoint, best/, checkpoints/), say which run folder to pass instead of
 * failing later on a missing config.resolved.json.
 */
export function checkResumeTarget(dir: string): void {
  const given = dir.replace(/(.)\/+$/, '$1');
  if (fs.existsSync(path.join(given, 'config.resolved.json'))) return;
  const name = path.basename(path.resolve(given));
  const parentName = path.basename(path.dirname(path.resolve(given)));
  let what: string | undefined;
  let runDir = path.dirname(given);
  if (parentName === 'checkpoints' && (/^step-\d+$/.test(name) || fs.existsSync(path.join(given, STATE_FILE)))) {
    what = 'a step checkpoint';
    runDir = path.dirname(runDir);
  } else if (name === 'best' || fs.existsSync(path.join(given, BEST_INFO_FILE))) {
    what = "a run's best/ model";
  } else if (name === 'checkpoints' && listCheckpoints(path.dirname(given)).length) {
    what = "a run's checkpoints/ folder";
  }
  if (what) throw new DistillError(`this is ${what}, not a run folder (--resume continues a whole run from its newest checkpoint); pass the run folder: --resume ${runDir}`, dir);
}
