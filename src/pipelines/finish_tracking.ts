import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { MetricsLog } from '../distill/metrics_log';
import { writeReport } from '../tracking/html_report';
import { MlflowTracker } from '../tracking/mlflow_tracker';
import { TrainRunSummary } from './run_summary';

/** Waits (bounded) for queued metrics, uploads the run's files and closes the MLflow run. */
export async function finishTracking(tracker: MlflowTracker, runDir: string, timeoutS: number): Promise<TrainRunSummary['mlflow']> {
  const files: Array<[string, string]> = ['config.resolved.json', 'report.html', 'metrics.jsonl'].map((f) => [f, path.join(runDir, f)]);
  const onnx = path.join(runDir, 'export', 'onnx', 'model.onnx');
  if (fs.existsSync(onnx)) files.push(['onnx/model.onnx', onnx]);
  const allSent = await tracker.flush(timeoutS * 1000);
  await tracker.uploadArtifacts(files);
  await tracker.finish('FINISHED', 1000);
  return { uri: tracker.client.uri, runId: tracker.runId, allSent, pending: tracker.pending, skippedNonFinite: tracker.skippedNonFinite, issues: tracker.issues };
}

/**
 * A failed run still gets its report (what was logged so far) and a FAILED
 * MLflow run. Each is best effort: the disk that failed the run may fail the
 * report too, and the metrics may hold a corrupt line. Such a failure is a
 * warning; the error that ended the run is the one the caller throws.
 */
export async function failTracking(tracker: MlflowTracker | null, cfg: ExperimentConfig, runDir: string, metrics: MetricsLog, log: (line: string) => void): Promise<void> {
  const report = path.join(runDir, 'report.html');
  const attempt = async (what: string, f: () => unknown) => {
    try {
      await f();
      return true;
    } catch (e) {
      log(`warning: after the run failed, could not ${what}: ${(e as Error).message}`);
      return false;
    }
  };
  const wrote = await attempt(`write ${report}`, () => writeReport(report, `${cfg.name} (failed)`, metrics.read(), null));
  if (!tracker) return;
  const files: Array<[string, string]> = [['config.resolved.json', path.join(runDir, 'config.resolved.json')]];
  if (wrote) files.unshift(['report.html', report]);
  await attempt('upload the run files to MLflow', () => tracker.uploadArtifacts(files));
  await attempt('mark the MLflow run FAILED', () => tracker.finish('FAILED', 5000));
}

/**
 * A run stopped by SIGINT/SIGTERM: its report of what was logged, queued
 * metrics sent (bounded: a scheduler's grace period is short) with the run's
 * files, and the MLflow run marked KILLED. Metrics that do not reach the
 * server stay in metrics.jsonl and are sent by the resume. Best effort: the
 * stop and its checkpoint are what the user needs to hear about.
 * Returns what it wrote or sent, for the stop message.
 */
export async function stopTracking(tracker: MlflowTracker | null, title: string, runDir: string, metrics: MetricsLog, timeoutS: number): Promise<string[]> {
  const done: string[] = [];
  try {
    writeReport(path.join(runDir, 'report.html'), title, metrics.read(), null);
    done.push(path.join(runDir, 'report.html'));
    if (!tracker) return done;
    const allSent = await tracker.flush(timeoutS * 1000);
    await tracker.uploadArtifacts(['config.resolved.json', 'report.html', 'metrics.jsonl'].map((f) => [f, path.join(runDir, f)]));
    await tracker.finish('KILLED', 1000);
    done.push(`MLflow run ${tracker.runId} marked KILLED${allSent ? '' : ` (${tracker.pending} metrics not sent yet: --resume sends them)`}`);
  } catch {
    // Best effort, as for a failed run.
  }
  return done;
}
