import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MlflowClient, MlflowRunInfo } from './mlflow_client';
import { writeJsonAtomic } from '../util/atomic_write';

/** The tag that ties an MLflow run to the attempt that created it (no dot: MLflow filters take it unquoted). */
export const ATTEMPT_TAG = 'distill_attempt';

/**
 * Creates the MLflow run of a run folder at most once. A process killed
 * after the server made the run but before tracking.json recorded it (the
 * create is in flight while training goes on) would otherwise leave a
 * second run on the next attempt: a token is written to the folder first
 * and tagged on the run, and the next attempt adopts the run carrying it.
 */
export async function createRunOnce(client: MlflowClient, dir: string, experimentId: string, runName: string, tags: Record<string, string>): Promise<{ run: MlflowRunInfo; adopted: boolean }> {
  const pendingFile = path.join(dir, 'tracking.pending.json');
  const earlier = readToken(pendingFile);
  const token = earlier ?? crypto.randomUUID();
  if (!earlier) writeJsonAtomic(pendingFile, { token });
  const orphan = earlier ? await client.findRunByTag(experimentId, ATTEMPT_TAG, token) : null;
  const run = orphan ?? (await client.createRun(experimentId, runName, { ...tags, [ATTEMPT_TAG]: token }));
  writeJsonAtomic(path.join(dir, 'tracking.json'), { uri: client.uri, experiment_id: experimentId, run_id: run.run_id });
  fs.rmSync(pendingFile, { force: true });
  return { run, adopted: orphan !== null };
}

function readToken(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  try {
    const token = (JSON.parse(fs.readFileSync(file, 'utf8')) as { token?: unknown }).token;
    return typeof token === 'string' && /^[0-9a-f-]{36}$/.test(token) ? token : null;
  } catch {
    return null; // written atomically, so only a hand-edited file gets here: a fresh token is as good
  }
}
