import * as fs from 'fs';
import * as path from 'path';
import { LIMITS, MlflowClient, MlflowRunInfo } from './mlflow_client';
import { createRunOnce } from './create_run_once';

/** MLflow's tag for a nested run's parent: the UI groups the children under it. */
export const PARENT_RUN_TAG = 'mlflow.parentRunId';

export interface SweepTrackerOptions {
  uri: string;
  experiment: string;
  /** The sweep folder: tracking.json there keeps the parent run's id, so a rerun of the sweep continues it. */
  dir: string;
  runName: string;
  params: Array<{ key: string; value: string }>;
  tags?: Record<string, string>;
  log: (line: string) => void;
}

/**
 * The sweep's parent run in MLflow: its params (what the sweep varies, the
 * base config, the metric) and, at the end, the ranked table as the run's
 * note and as artifacts. Each variant is a child run carrying the parent's
 * id in `mlflow.parentRunId`. Best effort, like a run's own tracking: a
 * server that cannot be reached is a warning and the runs go on without a
 * parent.
 */
export class SweepTracker {
  private constructor(readonly client: MlflowClient, private readonly run: MlflowRunInfo, private readonly log: (line: string) => void) {}

  get runId(): string {
    return this.run.run_id;
  }

  static async start(o: SweepTrackerOptions): Promise<SweepTracker | null> {
    const client = new MlflowClient(o.uri);
    const file = path.join(o.dir, 'tracking.json');
    try {
      const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as { run_id: string }).run_id : null;
      let run: MlflowRunInfo;
      let sent = new Map<string, string>();
      if (previous) {
        const r = await client.getRun(previous);
        run = r.info;
        sent = new Map((r.data.params ?? []).map((p) => [p.key, p.value]));
        await client.updateRun(previous, 'RUNNING');
        o.log(`sweep: MLflow ${client.uri}, continuing parent run ${previous}`);
      } else {
        const exp = await client.getOrCreateExperiment(o.experiment);
        const made = await createRunOnce(client, o.dir, exp, o.runName, { 'mlflow.runName': o.runName, 'mlflow.source.name': 'distill sweep', ...o.tags });
        run = made.run;
        if (made.adopted) sent = new Map(((await client.getRun(run.run_id)).data.params ?? []).map((p) => [p.key, p.value]));
        o.log(`sweep: MLflow ${client.uri}, experiment "${o.experiment}", parent run ${run.run_id}`);
      }
      // Params are write-once: a value that changed since the first invocation stays as it was, and says so.
      for (const p of o.params) if (sent.has(p.key) && sent.get(p.key) !== p.value) o.log(`warning: MLflow param "${p.key}" is ${sent.get(p.key)} in the parent run and ${p.value} now (params are write-once; kept)`);
      const todo = o.params.filter((p) => !sent.has(p.key));
      for (let i = 0; i < todo.length; i += LIMITS.paramsPerBatch) await client.logBatch(run.run_id, { params: todo.slice(i, i + LIMITS.paramsPerBatch) });
      return new SweepTracker(client, run, o.log);
    } catch (e) {
      o.log(`warning: MLflow parent run for the sweep not available (${(e as Error).message}); the runs are tracked without a parent`);
      return null;
    }
  }

  /** The table as the run's note (the MLflow UI shows it as the description), files as artifacts, the best value as a metric, and the status. */
  async finish(status: 'FINISHED' | 'FAILED' | 'KILLED', o: { note: string; files: Array<[string, string]>; metrics: Record<string, number> }): Promise<void> {
    const attempt = async (what: string, f: () => Promise<unknown>) => {
      try {
        await f();
      } catch (e) {
        this.log(`warning: MLflow parent run ${this.runId}: could not ${what}: ${(e as Error).message}`);
      }
    };
    const note = o.note.length <= LIMITS.tagValueLength ? o.note : o.note.slice(0, LIMITS.tagValueLength - 60) + '\n\n(cut; the whole table is the sweep.md artifact)';
    const now = Date.now();
    const metrics = Object.entries(o.metrics).filter(([, v]) => Number.isFinite(v)).map(([key, value]) => ({ key, value, timestamp: now, step: 0 }));
    await attempt('log the table', () => this.client.logBatch(this.runId, { tags: [{ key: 'mlflow.note.content', value: note }], metrics }));
    for (const [rel, file] of o.files) if (fs.existsSync(file)) await attempt(`upload ${rel}`, () => this.client.uploadArtifact(this.run.artifact_uri, rel, fs.readFileSync(file)));
    await attempt('set its status', () => this.client.updateRun(this.runId, status, now));
  }
}
