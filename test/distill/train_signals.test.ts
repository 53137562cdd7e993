import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { listCheckpoints } from '../../src/distill/checkpoint';
import { listenForStop, StopSignalName } from '../../src/distill/stop_signal';
import { trainRun } from '../../src/pipelines/train_run';
import { TrainingStopped } from '../../src/pipelines/training_stopped';
import { CLI, ROOT } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';
import { assertSameEnd, evals } from '../helpers/killed_run';

const STEPS = 60;

function cli(args: string[]) {
  return spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
}

function loggedSteps(runDir: string): number[] {
  const file = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l).step);
}

/** Starts `distill train`, sends `signal` once metrics.jsonl has reached `afterStep`; resolves with its exit status and stderr. */
async function signalMidRun(args: string[], runDir: string, signal: StopSignalName, afterStep: number): Promise<{ status: number | null; signal: string | null; stderr: string }> {
  const child = spawn('node', [CLI, 'train', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let sent = false;
  const poll = setInterval(() => {
    if (!sent && loggedSteps(runDir).some((s) => s >= afterStep)) {
      sent = true;
      child.kill(signal);
    }
  }, 20);
  const [status, sig] = await new Promise<[number | null, string | null]>((r) => child.on('exit', (c, s) => r([c, s])));
  clearInterval(poll);
  assert.ok(sent, `the run ended before it could be signalled: ${stderr}`);
  return { status, signal: sig, stderr };
}

function assertSameRun(reference: string, resumed: string): void {
  assertSameEnd(reference, resumed, STEPS / 10 + 1);
  assert.deepEqual(evals(resumed), evals(reference));
  const logged = loggedSteps(resumed);
  assert.deepEqual(logged, [...logged].sort((x, y) => x - y), 'metrics.jsonl is in step order, nothing repeated after the resume');
}

describe('distill train: SIGTERM / SIGINT stop after the step with a checkpoint', () => {
  const r = tinyRun({ steps: STEPS, every: 10 });
  const runDir = (name: string) => path.join(r.dir, name);
  const config = (name: string, ...sets: string[]) => ['--config', r.config, '--set', `output_dir=${runDir(name)}`, ...sets.flatMap((s) => ['--set', s])];

  before(async () => {
    await selectBackend('tensorflow');
    const p = cli(['train', ...config('reference')]);
    assert.equal(p.status, 0, p.stderr);
  });

  for (const every of [10, 0]) {
    test(`SIGTERM mid-run (checkpoint.every ${every}) exits 143 naming the checkpoint and the resume command; --resume ends as the uninterrupted run`, async () => {
      const name = `term-every-${every}`;
      const p = await signalMidRun(config(name, `checkpoint.every=${every}`), runDir(name), 'SIGTERM', 25);
      assert.equal(p.status, 143, `exit ${p.status} / ${p.signal}: ${p.stderr}`);
      const m = /stopped by SIGTERM at step (\d+) of 60\nsaved: checkpoint (\S+) .*\nresume with: distill train --resume (\S+)/.exec(p.stderr);
      assert.ok(m, p.stderr);
      const step = Number(m[1]);
      assert.ok(step >= 25 && step < STEPS, `stopped at step ${step}`);
      assert.equal(m[2], path.join(runDir(name), 'checkpoints', `step-${String(step).padStart(7, '0')}`));
      assert.ok(fs.existsSync(path.join(m[2], 'training_state.json')), 'the named checkpoint is complete');
      assert.equal(JSON.parse(fs.readFileSync(path.join(m[2], 'training_state.json'), 'utf8')).step, step);
      assert.ok(!fs.existsSync(path.join(runDir(name), 'summary.json')), 'a stopped run is not a finished one');
      const rb = cli(['train', '--resume', m[3]]);
      assert.equal(rb.status, 0, rb.stderr);
      assert.match(rb.stderr, new RegExp(`resuming from .*step-${String(step).padStart(7, '0')}: step ${step}`));
      assertSameRun(runDir('reference'), runDir(name));
    });
  }

  test('SIGINT (Ctrl-C) exits 130 after saving a checkpoint', async () => {
    const p = await signalMidRun(config('int', 'checkpoint.every=0'), runDir('int'), 'SIGINT', 5);
    assert.equal(p.status, 130, `exit ${p.status} / ${p.signal}: ${p.stderr}`);
    assert.match(p.stderr, /received SIGINT: stopping after the current step/);
    assert.match(p.stderr, /stopped by SIGINT at step \d+ of 60\nsaved: checkpoint .*step-\d+/);
    assert.equal(listCheckpoints(runDir('int')).length, 1);
  });

  test('in the library: a stop request ends trainRun with TrainingStopped, a checkpoint at that step, and no handlers or tensors left', async () => {
    const listeners = process.listenerCount('SIGTERM');
    const tensors = tf.memory().numTensors;
    const cfg = loadConfig(r.config, [`output_dir=${runDir('lib')}`, 'checkpoint.every=0']);
    const forced: string[] = [];
    const lines: string[] = [];
    const err = await trainRun(cfg, {
      quiet: true, log: (l) => lines.push(l), onForcedStop: (s) => forced.push(s),
      onStep: (s) => (s === 3 ? process.emit('SIGTERM', 'SIGTERM') : undefined),
    }).then(() => null, (e) => e);
    assert.ok(err instanceof TrainingStopped, `expected TrainingStopped, got ${err}`);
    assert.equal(err.exitCode, 143);
    assert.equal(err.step, 3);
    assert.deepEqual(listCheckpoints(runDir('lib')).map((d) => path.basename(d)), ['step-0000003']);
    assert.equal(forced.length, 0);
    assert.equal(process.listenerCount('SIGTERM'), listeners, 'signal handlers removed when the run ends');
    assert.equal(tf.memory().numTensors, tensors);
    assert.ok(fs.existsSync(path.join(runDir('lib'), 'report.html')));
    // A repeat within a second is the same request (npm run forwards Ctrl-C); a later second signal
    // stops at once: the caller's onForcedStop (the CLI exits there).
    const again = await trainRun(loadConfig(r.config, [`output_dir=${runDir('lib2')}`]), {
      quiet: true, log: (l) => lines.push(l), onForcedStop: (s) => forced.push(s),
      onStep: (s) => (s === 2 ? (process.emit('SIGTERM', 'SIGTERM'), process.emit('SIGTERM', 'SIGTERM')) : undefined),
      callbacks: [{ onStop: async () => {
        assert.equal(forced.length, 0, 'a repeat at once is the same request');
        await new Promise((res) => setTimeout(res, 1100));
        process.emit('SIGTERM', 'SIGTERM');
      } }],
    }).then(() => null, (e) => e);
    assert.ok(again instanceof TrainingStopped);
    assert.deepEqual(forced, ['SIGTERM']);
    assert.ok(lines.some((l) => /received SIGTERM again: stopping at once, without saving; last complete checkpoint: .*step-0000002/.test(l)), lines.join('\n'));
    assert.equal(process.listenerCount('SIGTERM'), listeners);
  });

  test('train.signal_checkpoint false: the first signal stops at once, saving nothing', async () => {
    const forced: string[] = [];
    const lines: string[] = [];
    const cfg = loadConfig(r.config, [`output_dir=${runDir('nosave')}`, 'checkpoint.every=0', 'train.signal_checkpoint=false', 'train.max_steps=6']);
    // onForcedStop returns here (the CLI exits), so the run goes on to its end.
    await trainRun(cfg, { quiet: true, log: (l) => lines.push(l), onForcedStop: (s) => forced.push(s), onStep: (s) => (s === 3 ? process.emit('SIGINT', 'SIGINT') : undefined) });
    assert.deepEqual(forced, ['SIGINT']);
    assert.ok(lines.some((l) => /received SIGINT: stopping at once \(train\.signal_checkpoint is false\), without saving/.test(l)), lines.join('\n'));
    assert.deepEqual(listCheckpoints(runDir('nosave')).map((d) => path.basename(d)), ['step-0000006']);
  });

  test('a signal while teacher embeddings are computed stops before training, writing no metrics or checkpoint', async () => {
    const listeners = process.listenerCount('SIGTERM');
    const cfg = loadConfig(r.config, [`output_dir=${runDir('prep')}`, 'teacher.cache=false']);
    const err = await trainRun(cfg, { quiet: true, log: (l) => (l.startsWith('teacher:') ? process.emit('SIGTERM', 'SIGTERM') : undefined) }).then(() => null, (e) => e);
    assert.ok(err instanceof TrainingStopped, `expected TrainingStopped, got ${err}`);
    assert.match(err.message, /stopped by SIGTERM while preparing data, before training .*\nnothing was trained; start again with the same command/);
    assert.ok(!fs.existsSync(path.join(runDir('prep'), 'metrics.jsonl')));
    assert.deepEqual(listCheckpoints(runDir('prep')), []);
    assert.deepEqual(fs.readdirSync(runDir('prep')).filter((f) => f.includes('.tmp-')), []);
    assert.equal(process.listenerCount('SIGTERM'), listeners);
  });
});

test('listenForStop: first signal is a request, the second is immediate; dispose removes the handlers', () => {
  const source = new EventEmitter();
  const immediate: string[] = [];
  const stop = listenForStop({ graceful: true, onImmediate: (s) => immediate.push(s), log: () => {}, source });
  assert.equal(stop.requested, null);
  source.emit('SIGTERM');
  assert.equal(stop.requested, 'SIGTERM');
  assert.ok(stop.abort.aborted);
  source.emit('SIGTERM');
  assert.equal(immediate.length, 0, 'the same signal again at once is one request (npm run forwards Ctrl-C)');
  source.emit('SIGINT');
  assert.deepEqual(immediate, ['SIGINT']);
  assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0, 'an immediate stop removes the handlers');
  const other = listenForStop({ graceful: false, onImmediate: (s) => immediate.push(s), log: () => {}, source });
  source.emit('SIGTERM');
  assert.deepEqual(immediate, ['SIGINT', 'SIGTERM']);
  assert.equal(other.requested, null);
  const third = listenForStop({ graceful: true, onImmediate: () => {}, log: () => {}, source });
  third.dispose();
  assert.equal(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM'), 0);
});
