import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { trainRun } from '../../src/pipelines/train_run';
import { readSafetensors } from '../../src/model/safetensors';
import { assertSameEnd, cli, killTrainWhen } from '../helpers/killed_run';
import { tinyRun } from '../helpers/tiny_run';

describe('distill train: resume, tensor hygiene, bad input', () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  test('a run SIGKILLed mid-training and resumed ends with the same weights and metric history', async () => {
    const steps = 120;
    const a = tinyRun({ steps, every: 10 });
    const b = tinyRun({ steps, every: 10 });
    const ra = cli(['train', '--config', a.config]);
    assert.equal(ra.status, 0, ra.stderr);
    const runB = path.join(b.dir, 'run');
    await killTrainWhen(b.config, path.join(runB, 'checkpoints', 'step-0000040'));
    assert.ok(!fs.existsSync(path.join(runB, 'summary.json')), 'the killed run did not finish');
    const rb = cli(['train', '--resume', runB]);
    assert.equal(rb.status, 0, rb.stderr);
    assert.match(rb.stderr, /resuming from .*step-00000[4-9]0/);
    assertSameEnd(path.join(a.dir, 'run'), runB, steps / 10 + 1);
    // Metrics log holds each step once after the resume.
    const logged = fs.readFileSync(path.join(runB, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.step);
    assert.deepEqual(logged, [...new Set(logged)].sort((x, y) => x - y));
  });

  test('tensor count stays flat across 500 training steps (with evals and checkpoints) and returns to where it was', async () => {
    const r = tinyRun({ steps: 500, every: 100 });
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const s = await trainRun(loadConfig(r.config), { quiet: true, log: () => {}, onStep: () => counts.push(tf.memory().numTensors) });
    assert.equal(tf.memory().numTensors, before, 'every tensor of the run is disposed at its end');
    assert.equal(s.steps, 500);
    assert.equal(counts.length, 500);
    assert.ok(counts.every((c) => c === counts[0]), `tensor count drifted: min ${Math.min(...counts)}, max ${Math.max(...counts)}`);
    const losses = fs.readFileSync(path.join(r.dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.loss);
    assert.ok(losses[losses.length - 1] < 0.5 * losses[0], `loss went from ${losses[0]} to ${losses[losses.length - 1]}`);
  });

  test('bad input is refused before training: layers, losses, resume targets, changed config', () => {
    const r = tinyRun({ steps: 10 });
    const runDir = path.join(r.dir, 'run');
    let p = cli(['train', '--config', r.config, '--set', 'student.layers=[0,7]']);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /student\.layers: layer 7 does not exist: the teacher has layers 0\.\.3/);
    p = cli(['train', '--config', r.config, '--set', 'student.layers=6']);
    assert.match(p.stderr, /cannot keep 6 layers of a 4-layer teacher/);
    p = cli(['train', '--config', r.config, '--set', 'losses=[{name: kd}]']);
    assert.match(p.stderr, /key "losses\[0\]\.name" must be one of mse, cosine, ibkd, hidden_mse, attention, margin_mse; got "kd"/);
    assert.ok(!fs.existsSync(path.join(runDir, 'checkpoints')), 'nothing trained');
    // No config.resolved.json in the folder: it is not a run folder.
    p = cli(['train', '--resume', r.dir]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /config\.resolved\.json: config file does not exist/);
    p = cli(['train', '--resume', r.dir, '--config', r.config]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /no checkpoint to resume from/);
    assert.equal(cli(['train', '--config', r.config]).status, 0);
    p = cli(['train', '--config', r.config]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /output folder already holds a run \(config\.resolved\.json, metrics\.jsonl, summary\.json, report\.html, teacher\.json, best\/, checkpoints\/\); resume it with --resume .*--force-new/);
    p = cli(['train', '--resume', runDir, '--config', r.config, '--set', 'train.lr=0.5']);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /the config differs from the one this run was started with/);
    const last = fs.readdirSync(path.join(runDir, 'checkpoints')).sort().pop()!;
    fs.writeFileSync(path.join(runDir, 'checkpoints', last, 'training_state.json'), '{"version": 7}');
    p = cli(['train', '--resume', runDir]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /training_state\.json: \d+ bytes, manifest\.json says \d+/);
    // A checkpoint from before manifests: the state itself is still checked.
    fs.rmSync(path.join(runDir, 'checkpoints', last, 'manifest.json'));
    p = cli(['train', '--resume', runDir]);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /training_state\.json: foreign or corrupt training state/);
  });

  test('a non-finite loss stops training with a clear message and writes no NaN weights', () => {
    const r = tinyRun({ steps: 40, every: 1000, extra: [] });
    const p = cli(['train', '--config', r.config, '--set', 'train.lr=1e30', '--set', 'train.warmup_ratio=0', '--set', 'checkpoint.every=1']);
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /non-finite loss at step \d+ .*no NaN weights written\. Last checkpoint: .*checkpoints\. Lower train\.lr/);
    const ckpts = fs.readdirSync(path.join(r.dir, 'run', 'checkpoints'));
    for (const c of ckpts) {
      for (const [k, t] of readSafetensors(path.join(r.dir, 'run', 'checkpoints', c, 'model.safetensors'))) {
        assert.ok(Array.from(t.data).every(Number.isFinite), `${c}/${k} holds non-finite values`);
      }
    }
  });

  test('a run that throws mid-way (a failing evaluator) leaves the tensor count where it was', async () => {
    const r = tinyRun({ steps: 30, every: 10 });
    const before = tf.memory().numTensors;
    let calls = 0;
    const failing = { name: 'boom', greaterIsBetter: true, description: 'fails on its second call', evaluate: async () => {
      if (++calls === 2) throw new Error('evaluator failed');
      return 1;
    } };
    await assert.rejects(trainRun(loadConfig(r.config), { quiet: true, log: () => {}, evaluators: [failing] }), /evaluator failed/);
    assert.equal(calls, 2, 'the evaluator ran before training and failed at step 10');
    assert.equal(tf.memory().numTensors, before);
    // Bad input found after the models load is also cleaned up.
    await assert.rejects(trainRun(loadConfig(r.config, [`output_dir=${path.join(r.dir, 'run2')}`, 'train.metric_for_best=accuracy']), { quiet: true, log: () => {} }), /train\.metric_for_best: unknown metric "accuracy"; this run evaluates: spearman/);
    assert.equal(tf.memory().numTensors, before);
  });

  test('resume accepts cosmetic config changes and refuses a changed learning rate', () => {
    const r = tinyRun({ steps: 20, every: 10 });
    const runDir = path.join(r.dir, 'run');
    assert.equal(cli(['train', '--config', r.config]).status, 0);
    // As if the run had died after step 10: its last checkpoint is step 10.
    fs.rmSync(path.join(runDir, 'checkpoints', 'step-0000020'), { recursive: true });
    const cosmetic = ['--set', 'train.log_every=3', '--set', 'train.eval_every=5', '--set', 'name=renamed', '--set', 'checkpoint.keep_last=4'];
    let p = cli(['train', '--resume', runDir, '--config', r.config, ...cosmetic, '--set', 'train.lr=0.002']);
    assert.equal(p.status, 2);
    assert.match(p.stderr, /the config differs from the one this run was started with/);
    p = cli(['train', '--resume', runDir, '--config', r.config, ...cosmetic]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /resuming from .*step-0000010/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).steps, 20);
  });
});
