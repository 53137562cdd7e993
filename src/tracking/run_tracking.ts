import { execFileSync } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { configToObject } from '../config/parse_config';
import { MetricsLog } from '../distill/metrics_log';
import { flattenParams } from './flatten_params';
import { MlflowTracker } from './mlflow_tracker';

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * MLflow tracking for a training run when `tracking.mlflow_uri` or
 * MLFLOW_TRACKING_URI is set: every metrics.jsonl entry is also queued for
 * the server. On resume the whole local history is queued again and the
 * tracker drops what the server already has, so the server ends complete.
 */
export function startTracking(cfg: ExperimentConfig, runDir: string, metrics: MetricsLog, info: { teacher: string; teacherCommit?: string; student: string; backend: string; resumeRunId?: string | null; resumed: boolean; tags?: Record<string, string> }, log: (l: string) => void): MlflowTracker | null {
  const uri = cfg.tracking.mlflow_uri ?? process.env.MLFLOW_TRACKING_URI;
  if (!uri) return null;
  const { params, rejected } = flattenParams(configToObject(cfg));
  const commit = gitCommit();
  const tracker = new MlflowTracker({
    uri,
    experiment: cfg.tracking.experiment,
    runName: cfg.name,
    runDir,
    params,
    tags: {
      'mlflow.source.name': 'distill train',
      'mlflow.user': process.env.USER ?? os.userInfo().username,
      ...(commit ? { 'mlflow.source.git.commit': commit } : {}),
      'distill.teacher': info.teacher,
      ...(info.teacherCommit ? { 'distill.teacher_commit': info.teacherCommit } : {}),
      'distill.student': info.student,
      'distill.backend': info.backend,
      'distill.run_dir': path.resolve(runDir),
      ...info.tags,
    },
    resumeRunId: info.resumeRunId,
    batchEvery: cfg.tracking.batch_every,
    retryInitialMs: cfg.tracking.retry_initial_ms,
    retryMaxMs: cfg.tracking.retry_max_ms,
    warn: (m) => log(`warning: ${m}`),
  });
  for (const r of rejected) log(`warning: not sent to MLflow: ${r}`);
  tracker.issues.push(...rejected);
  const send = (e: Record<string, number>) => {
    const { step, time, ...values } = e;
    tracker.log(step, values, time);
  };
  if (info.resumed) for (const e of metrics.read()) send(e);
  metrics.onAppend = send;
  tracker.kick();
  log(`tracking: MLflow ${tracker.client.uri}, experiment "${cfg.tracking.experiment}"${info.resumeRunId ? `, continuing run ${info.resumeRunId}` : ''}`);
  return tracker;
}
