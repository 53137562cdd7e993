import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../../src/config/experiment_config';
import { configToObject, loadConfig } from '../../src/config/parse_config';
import { MetricsLog } from '../../src/distill/metrics_log';
import { flattenParams } from '../../src/tracking/flatten_params';
import { MlflowClient } from '../../src/tracking/mlflow_client';
import { MlflowTracker } from '../../src/tracking/mlflow_tracker';
import { startTracking } from '../../src/tracking/run_tracking';
import { ROOT, tmpDir } from '../helpers/env';
import { FailingProxy } from '../helpers/failing_proxy';
import { MlflowServer, startMlflowServer } from '../helpers/mlflow_server';

function config(uri: string, runDir: string, extra: string[] = []): ExperimentConfig {
  return loadConfig(path.join(ROOT, 'configs', 'quickstart.yaml'), [
    `tracking={mlflow_uri: ${uri}, experiment: it-transient, batch_every: 5, retry_initial_ms: 50, retry_max_ms: 200}`, `output_dir=${runDir}`, ...extra,
  ]);
}

/** What training appends to metrics.jsonl for steps from..to; values depend only on the step, as a deterministic resumed run's do. */
function logSteps(metrics: MetricsLog, from: number, to: number): void {
  for (let step = from; step <= to; step++) {
    metrics.append({ step, loss: 1 / step, lr: step * 1e-5 });
    if (step % 10 === 0) metrics.append({ step, eval_spearman: step / 100 });
  }
}

/** One training session's tracking, as train_run drives it: startTracking, steps logged, a final flush. */
async function session(cfg: ExperimentConfig, steps: [number, number], resume: { runId: string } | null, finish: boolean): Promise<MlflowTracker> {
  const metrics = new MetricsLog(path.join(cfg.output_dir, 'metrics.jsonl'));
  const tracker = startTracking(cfg, cfg.output_dir, metrics, { teacher: 't', student: 's', backend: 'tensorflow', resumeRunId: resume?.runId ?? null, resumed: !!resume }, () => {});
  assert.ok(tracker);
  logSteps(metrics, steps[0], steps[1]);
  assert.ok(await tracker.flush(30_000), `flush: ${tracker.pending} pending, issues ${JSON.stringify(tracker.issues)}`);
  if (finish) await tracker.finish('FINISHED', 5_000);
  return tracker;
}

async function serverParams(client: MlflowClient, runId: string): Promise<Record<string, string>> {
  return Object.fromEntries(((await client.getRun(runId)).data.params ?? []).map((p) => [p.key, p.value]));
}

/** Every key's history on the server is exactly the local steps: no duplicate (key, step) pairs, no gaps. */
async function assertHistoryExact(client: MlflowClient, runId: string, metricsFile: string): Promise<void> {
  const entries: Record<string, number>[] = fs.readFileSync(metricsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  for (const key of ['loss', 'lr', 'eval_spearman']) {
    const want = entries.filter((e) => e[key] !== undefined).map((e) => e.step);
    const got = (await client.metricHistory(runId, key)).map((m) => Number(m.step)).sort((a, b) => a - b);
    assert.deepEqual(got, want, `${key}: steps on the server`);
  }
}

describe('MLflow tracking through a transient failure of the params request', () => {
  let server: MlflowServer;
  let client: MlflowClient;
  before(async () => {
    server = await startMlflowServer();
    client = new MlflowClient(server.uri);
  });
  after(async () => {
    await server.stop();
  });

  test('a 503 on the first params request: every param still reaches the run, each sent once', async () => {
    const proxy = new FailingProxy(server.uri, 1);
    await proxy.start();
    try {
      const cfg = config(proxy.uri, tmpDir('mlf-transient-'));
      const tracker = await session(cfg, [1, 40], null, true);
      assert.equal(proxy.failuresInjected, 1, 'the injected failure hit a params request');
      const expected = Object.fromEntries(flattenParams(configToObject(cfg)).params.map((p) => [p.key, p.value]));
      assert.deepEqual(await serverParams(client, tracker.runId!), expected);
      assert.deepEqual(proxy.paramsForwarded.map((p) => p.key).sort(), Object.keys(expected).sort(), 'each param accepted exactly once');
      await assertHistoryExact(client, tracker.runId!, path.join(cfg.output_dir, 'metrics.jsonl'));
      assert.deepEqual(tracker.issues, []);
    } finally {
      await proxy.stop();
    }
  });

  test('a resumed run with a 503 on its params request: no duplicate (key, step) pairs, no gaps, params complete', async () => {
    const proxy = new FailingProxy(server.uri, 1);
    await proxy.start();
    try {
      const runDir = tmpDir('mlf-transient-resume-');
      // The first session is killed at step 50 (no finish) after its checkpoint at 40; steps 41..50 reached the
      // server. The resume drops them locally and logs them again with new timestamps, which MLflow would store
      // as second entries for the same (key, step): only the tracker's de-duplication keeps them out.
      const first = await session(config(proxy.uri, runDir), [1, 50], null, false);
      const runId: string = JSON.parse(fs.readFileSync(path.join(runDir, 'tracking.json'), 'utf8')).run_id;
      assert.equal(runId, first.runId);
      new MetricsLog(path.join(runDir, 'metrics.jsonl')).truncateAfter(40);
      await new Promise((r) => setTimeout(r, 5));
      // The resume raises max_steps, a key the first config did not have, so it has a param to send; that request fails once.
      proxy.failParamsBatches(1);
      const sentBefore = proxy.logBatches.length;
      const cfg = config(proxy.uri, runDir, ['train.max_steps=80']);
      const second = await session(cfg, [41, 80], { runId }, true);
      assert.equal(second.runId, runId, 'same MLflow run');
      assert.equal(proxy.logBatches.slice(sentBefore).filter((b) => b.status === 503).length, 1, 'the injected failure hit the resumed params request');
      await assertHistoryExact(client, runId, path.join(runDir, 'metrics.jsonl'));
      const expected = Object.fromEntries(flattenParams(configToObject(cfg)).params.map((p) => [p.key, p.value]));
      assert.deepEqual(await serverParams(client, runId), expected);
      assert.deepEqual(proxy.paramsForwarded.map((p) => p.key).sort(), Object.keys(expected).sort(), 'each param accepted exactly once over both sessions');
      assert.deepEqual(second.issues, []);
      assert.equal((await client.getRun(runId)).info.status, 'FINISHED');
    } finally {
      await proxy.stop();
    }
  });
});
