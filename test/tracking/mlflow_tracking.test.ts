import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig, configToObject } from '../../src/config/parse_config';
import { trainRun } from '../../src/pipelines/train_run';
import { TrainingStopped } from '../../src/pipelines/training_stopped';
import { MlflowClient } from '../../src/tracking/mlflow_client';
import { MlflowTracker } from '../../src/tracking/mlflow_tracker';
import { ATTEMPT_TAG, createRunOnce } from '../../src/tracking/create_run_once';
import { flattenParams } from '../../src/tracking/flatten_params';
import { CLI, ROOT, tmpDir } from '../helpers/env';
import { MlflowServer, freePort, startMlflowServer } from '../helpers/mlflow_server';
import { tinyRun } from '../helpers/tiny_run';

type Entry = Record<string, number>;
const local = (runDir: string): Entry[] => fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

/** Every local metric (key, step, value) is on the server exactly once. */
async function assertComplete(client: MlflowClient, runId: string, runDir: string) {
  const entries = local(runDir);
  const keys = [...new Set(entries.flatMap((e) => Object.keys(e).filter((k) => k !== 'step' && k !== 'time')))];
  for (const key of keys) {
    const want = entries.filter((e) => e[key] !== undefined).map((e) => [e.step, e[key]]);
    const got = (await client.metricHistory(runId, key)).map((m) => [Number(m.step), m.value]).sort((a, b) => a[0] - b[0]);
    assert.deepEqual(got.map((g) => g[0]), want.map((w) => w[0]), `${key}: steps on the server (no gaps, no duplicates)`);
    got.forEach((g, i) => assert.ok(Math.abs(g[1] - want[i][1]) <= 1e-6 * Math.max(1, Math.abs(want[i][1])), `${key} at step ${g[0]}`));
  }
  return keys;
}

describe('MLflow tracking against a real server', () => {
  let server: MlflowServer;
  let client: MlflowClient;
  before(async () => {
    await selectBackend('tensorflow');
    server = await startMlflowServer();
    client = new MlflowClient(server.uri);
  });
  after(async () => {
    await server.stop();
  });

  test('a training run shows up with params, full metric history, tags and artifacts byte for byte', async () => {
    const r = tinyRun({ steps: 60, every: 20, extra: [] });
    const cfg = loadConfig(r.config, [`tracking={mlflow_uri: ${server.uri}, experiment: it-basic, batch_every: 10}`]);
    const warnings: string[] = [];
    const s = await trainRun(cfg, { quiet: true, log: (l) => warnings.push(l) });
    assert.ok(s.mlflow?.allSent, JSON.stringify(s.mlflow));
    const run = await client.getRun(s.mlflow!.runId!);
    assert.equal(run.info.status, 'FINISHED');
    const params = new Map((run.data.params ?? []).map((p) => [p.key, p.value]));
    const expected = flattenParams(configToObject(cfg)).params;
    assert.equal(params.size, expected.length);
    for (const p of expected) assert.equal(params.get(p.key), p.value, p.key);
    assert.equal(params.get('train.lr'), '0.001');
    const tags = new Map((run.data.tags ?? []).map((t) => [t.key, t.value]));
    assert.equal(tags.get('distill.teacher'), cfg.teacher.model);
    assert.equal(tags.get('distill.backend'), 'tensorflow');
    assert.equal(tags.get('distill.student'), 'layers [1,3]');
    assert.match(tags.get('mlflow.source.git.commit') ?? '', /^[0-9a-f]{40}$/);
    const keys = await assertComplete(client, s.mlflow!.runId!, cfg.output_dir);
    assert.ok(keys.includes('loss') && keys.includes('eval_spearman') && keys.includes('lr') && keys.includes('loss/mse'));
    for (const f of ['config.resolved.json', 'report.html', 'metrics.jsonl']) {
      assert.ok((await client.downloadArtifact(run.info.artifact_uri, f)).equals(fs.readFileSync(path.join(cfg.output_dir, f))), `${f} byte for byte`);
    }
    assert.deepEqual(s.mlflow!.issues, []);
    assert.equal(warnings.filter((w) => /not sent/.test(w)).length, 0, warnings.join('\n'));
  });

  test('server down at start, then up: training carries on, warns once, and every metric arrives once', async () => {
    const port = await freePort();
    const late = new MlflowServer(port);
    const r = tinyRun({ steps: 300, every: 100 });
    const cfg = loadConfig(r.config, [`tracking={mlflow_uri: ${late.uri}, experiment: it-late, batch_every: 5, retry_initial_ms: 200, retry_max_ms: 2000, final_timeout_s: 120}`]);
    const warnings: string[] = [];
    let started = false;
    const s = await trainRun(cfg, {
      quiet: true, log: (l) => warnings.push(l),
      onStep: (step) => {
        if (step === 20 && !started) {
          started = true;
          late.start();
        }
      },
    });
    try {
      assert.equal(s.steps, 300);
      assert.ok(s.mlflow?.allSent, JSON.stringify(s.mlflow));
      assert.equal(warnings.filter((w) => /unreachable/.test(w)).length, 1, warnings.join('\n'));
      await assertComplete(new MlflowClient(late.uri), s.mlflow!.runId!, cfg.output_dir);
    } finally {
      await late.stop();
    }
  });

  test('server stopped mid-run and restarted: no gaps, no duplicates; the local store is complete either way', async () => {
    const port = await freePort();
    const srv = new MlflowServer(port);
    srv.start();
    await srv.ready();
    const r = tinyRun({ steps: 400, every: 100 });
    const cfg = loadConfig(r.config, [`tracking={mlflow_uri: ${srv.uri}, experiment: it-restart, batch_every: 5, retry_initial_ms: 200, retry_max_ms: 2000, final_timeout_s: 120}`]);
    let phase = 0;
    const stopped = { p: Promise.resolve() };
    const s = await trainRun(cfg, {
      quiet: true, log: () => {},
      onStep: (step) => {
        if (step === 50 && phase === 0) {
          phase = 1;
          stopped.p = srv.stop();
        }
        if (step === 150 && phase === 1) {
          phase = 2;
          stopped.p = stopped.p.then(() => srv.start());
        }
      },
    });
    await stopped.p;
    try {
      assert.equal(local(cfg.output_dir).filter((e) => e.loss !== undefined).length, 400 / 5);
      assert.ok(s.mlflow?.allSent, JSON.stringify(s.mlflow));
      await assertComplete(new MlflowClient(srv.uri), s.mlflow!.runId!, cfg.output_dir);
    } finally {
      await srv.stop();
    }
  });

  test('--resume continues the same MLflow run and logs only what is new', async () => {
    const r = tinyRun({ steps: 200, every: 20 });
    const runDir = path.join(r.dir, 'run');
    const child = spawn('node', [CLI, 'train', '--config', r.config, '--set', `tracking={mlflow_uri: ${server.uri}, experiment: it-resume, batch_every: 5}`], { cwd: ROOT, stdio: 'ignore' });
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (fs.existsSync(path.join(runDir, 'checkpoints', 'step-0000080'))) {
          clearInterval(t);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => (clearInterval(t), reject(new Error('finished before the kill'))));
    });
    await new Promise((res) => child.on('exit', res));
    const firstId = JSON.parse(fs.readFileSync(path.join(runDir, 'tracking.json'), 'utf8')).run_id;
    const p = spawnSync('node', [CLI, 'train', '--resume', runDir, '--json'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const s = JSON.parse(p.stdout.trim().split('\n').pop()!);
    assert.equal(s.mlflow.runId, firstId, 'same MLflow run');
    assert.ok(s.mlflow.allSent);
    assert.deepEqual(s.mlflow.issues, []);
    await assertComplete(client, firstId, runDir);
    assert.equal((await client.getRun(firstId)).info.status, 'FINISHED');
  });

  test('killed between the server creating the run and tracking.json recording it: the next attempt adopts that run, never a second one', async () => {
    const exp = await client.getOrCreateExperiment('it-once');
    // First attempt: the token goes to disk before the create, and the run carries it.
    const dir = tmpDir('mlf-once-');
    const first = await createRunOnce(client, dir, exp, 'once', { 'mlflow.runName': 'once' });
    assert.equal(first.adopted, false);
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'tracking.json'), 'utf8')).run_id, first.run.run_id);
    assert.ok(!fs.existsSync(path.join(dir, 'tracking.pending.json')), 'the token is dropped once tracking.json holds the id');
    // The kill window: token on disk, run on the server, no tracking.json.
    const cut = tmpDir('mlf-once-');
    const token = '0b9e8d1c-2f4a-4c6b-9d7e-123456789abc';
    fs.writeFileSync(path.join(cut, 'tracking.pending.json'), JSON.stringify({ token }));
    const orphan = await client.createRun(exp, 'cut', { [ATTEMPT_TAG]: token });
    const retry = await createRunOnce(client, cut, exp, 'cut', {});
    assert.equal(retry.adopted, true);
    assert.equal(retry.run.run_id, orphan.run_id);
    assert.equal(JSON.parse(fs.readFileSync(path.join(cut, 'tracking.json'), 'utf8')).run_id, orphan.run_id);
    // A token whose create never reached the server: a run is created with it, once.
    const lost = tmpDir('mlf-once-');
    fs.writeFileSync(path.join(lost, 'tracking.pending.json'), JSON.stringify({ token: '1c2d3e4f-5a6b-4c7d-8e9f-abcdefabcdef' }));
    const made = await createRunOnce(client, lost, exp, 'lost', {});
    assert.equal(made.adopted, false);
    const res = await fetch(`${server.uri}/api/2.0/mlflow/runs/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ experiment_ids: [exp], max_results: 100 }) });
    const runs = ((await res.json()) as { runs: Array<{ info: { run_id: string } }> }).runs.map((x) => x.info.run_id);
    assert.equal(runs.length, 3, 'three folders, three runs: none duplicated');
    assert.ok(runs.includes(first.run.run_id) && runs.includes(orphan.run_id) && runs.includes(made.run.run_id));
  });

  test('non-finite metrics are never sent as null; over-long keys and values are reported, not truncated', async () => {
    const warnings: string[] = [];
    const t = new MlflowTracker({ uri: server.uri, experiment: 'it-values', runName: 'values', runDir: tmpDir('mlf-'), params: [], tags: {}, warn: (m) => warnings.push(m) });
    t.log(1, { loss: NaN, lr: 0.5, ['x'.repeat(300)]: 1 });
    t.log(2, { loss: Infinity, lr: 0.25 });
    assert.equal(t.skippedNonFinite, 2);
    assert.equal(warnings.length, 1);
    assert.equal(t.pending, 2);
    assert.ok(await t.flush(10_000));
    assert.deepEqual((await client.metricHistory(t.runId!, 'loss')), []);
    assert.deepEqual((await client.metricHistory(t.runId!, 'lr')).map((m) => m.value), [0.5, 0.25]);
    assert.match(t.issues[0], /metric key "x{20,}.*" is not valid for MLflow/);
    const { params, rejected } = flattenParams({ note: 'y'.repeat(7000), ok: 1, ['k'.repeat(260)]: 2 });
    assert.deepEqual(params, [{ key: 'ok', value: '1' }]);
    assert.match(rejected.join('\n'), /param "note" value of 7000 chars \(MLflow allows 6000\)/);
    assert.match(rejected.join('\n'), /param key "k+\.\.\." \(260 chars/);
  });

  test('SIGTERM: the MLflow run is marked KILLED with every logged step sent; the resume finishes it with each step once', async () => {
    const r = tinyRun({ steps: 20, every: 10, extra: [] });
    const cfg = loadConfig(r.config, [`tracking={mlflow_uri: ${server.uri}, experiment: it-stop, batch_every: 100}`, 'checkpoint.every=0']);
    const lines: string[] = [];
    const err = await trainRun(cfg, { quiet: true, log: (l) => lines.push(l), onStep: (s) => (s === 7 ? process.emit('SIGTERM', 'SIGTERM') : undefined) }).then(() => null, (e) => e);
    assert.ok(err instanceof TrainingStopped, `expected TrainingStopped, got ${err}`);
    assert.match(err.message, /saved: checkpoint .*step-0000007 .*; MLflow run \w+ marked KILLED\n/);
    const runId = /MLflow run (\w+) marked KILLED/.exec(err.message)![1];
    assert.equal((await client.getRun(runId)).info.status, 'KILLED');
    // Steps 6 and 7 are logged at the stop (log_every 5), not lost.
    assert.deepEqual((await client.metricHistory(runId, 'loss')).map((m) => Number(m.step)).sort((a, b) => a - b), [5, 7]);
    const s = await trainRun(cfg, { resume: path.join(r.dir, 'run'), quiet: true, log: () => {} });
    assert.equal(s.mlflow?.runId, runId);
    assert.equal((await client.getRun(runId)).info.status, 'FINISHED');
    assert.deepEqual((await client.metricHistory(runId, 'loss')).map((m) => Number(m.step)).sort((a, b) => a - b), [5, 7, 10, 15, 20]);
  });
});
