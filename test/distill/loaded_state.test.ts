import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { listCheckpoints, loadCheckpointState, saveCheckpoint } from '../../src/distill/checkpoint';
import { TrainingState } from '../../src/distill/training_state';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { CLI, ROOT, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

type Raw = Map<string, { shape: number[]; data: Float32Array }>;

/**
 * Rewrites a run's newest checkpoint through saveCheckpoint itself (so any
 * integrity data the writer adds stays consistent): only the edit under test
 * makes it bad.
 */
function editCheckpoint(runDir: string, edit: { state?: (s: TrainingState) => void; optimizer?: (o: Raw) => void; weights?: (w: Map<string, tf.Tensor>) => void }): string {
  const dir = listCheckpoints(runDir).pop()!;
  const ck = loadCheckpointState(dir);
  const model = loadSentenceModel(dir);
  try {
    edit.state?.(ck.state);
    edit.optimizer?.(ck.optimizer);
    edit.weights?.(model.weights);
    const slots = new Map([...ck.optimizer].map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
    saveCheckpoint(dir, model, ck.state, slots, new Map());
    tf.dispose([...slots.values()]);
  } finally {
    disposeSentenceModel(model);
  }
  return dir;
}

function resume(runDir: string) {
  return spawnSync('node', [CLI, 'train', '--resume', runDir], { cwd: ROOT, encoding: 'utf8' });
}

/** A fresh copy of the finished tiny run for each case. */
function copyOf(runDir: string): string {
  const to = path.join(tmpDir('distill-state-'), 'run');
  fs.cpSync(runDir, to, { recursive: true });
  return to;
}

describe('a resumed run validates the state it loads', () => {
  let runDir: string;
  before(async () => {
    await selectBackend('tensorflow');
    const r = tinyRun({ steps: 20, every: 10 });
    runDir = path.join(r.dir, 'run');
    const p = spawnSync('node', [CLI, 'train', '--config', r.config], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
  });

  const stateCases: Array<[string, (s: TrainingState) => void, RegExp]> = [
    ['a negative data cursor', (s) => (s.batchInEpoch = -5), /training_state\.json: key "batchInEpoch" must be a non-negative integer, got -5/],
    ['a step past the end of training', (s) => (s.step = 99999), /training_state\.json: key "step" must be at most 20 \(the steps this config trains/],
    ['a cursor past the end of the epoch', (s) => (s.batchInEpoch = 51), /training_state\.json: key "batchInEpoch" must be at most 50 \(the batches in one epoch/],
    ['an RNG state that is not one', (s) => (s.rngState = 'abc' as unknown as number), /training_state\.json: key "rngState" must be an RNG state \(an integer in 0\.\.4294967295\), got "abc"/],
    ['a malformed eval point', (s) => (s.evals[0] = { step: 10, spearman: 'high' as unknown as number }), /training_state\.json: key "evals\[0\]\.spearman" must be a number, got "high"/],
  ];
  for (const [name, edit, message] of stateCases) {
    test(`--resume refuses ${name} in training_state.json (exit 2, naming the key)`, () => {
      const run = copyOf(runDir);
      editCheckpoint(run, { state: edit });
      const metricsBefore = fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8');
      const p = resume(run);
      assert.equal(p.status, 2, p.stderr);
      assert.match(p.stderr, message);
      assert.equal(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8'), metricsBefore, 'the run folder is left as it was');
    });
  }

  test('--resume refuses a NaN in the optimizer slots, naming the slot, index and file', () => {
    const run = copyOf(runDir);
    let slot = '';
    const dir = editCheckpoint(run, {
      optimizer: (o) => {
        slot = [...o.keys()].find((k) => k.startsWith('m.encoder.layer.0.') && o.get(k)!.data.length > 17)!;
        o.get(slot)!.data[17] = NaN;
      },
    });
    const p = resume(run);
    assert.equal(p.status, 2, p.stderr);
    assert.ok(p.stderr.includes(`${path.join(dir, 'optimizer.safetensors')}: optimizer slot "${slot}" holds NaN at index 17`), p.stderr);
    assert.doesNotMatch(p.stderr, /Lower train\.lr/);
    assert.deepEqual(listCheckpoints(run).map((d) => path.basename(d)), ['step-0000010', 'step-0000020'], 'no checkpoint written from the bad state');
  });

  test('--resume refuses an infinite model weight, naming the weight and file', () => {
    const run = copyOf(runDir);
    let name = '';
    const dir = editCheckpoint(run, {
      weights: (w) => {
        name = [...w.keys()].find((k) => k.includes('layer.1.') && k.endsWith('.weight'))!;
        const t = w.get(name)!;
        const data = t.dataSync().slice() as Float32Array;
        data[3] = -Infinity;
        w.set(name, tf.tensor(data, t.shape));
        t.dispose();
      },
    });
    const p = resume(run);
    assert.equal(p.status, 2, p.stderr);
    assert.ok(p.stderr.includes(`${path.join(dir, 'model.safetensors')}: weight "${name}" holds -Infinity at index 3`), p.stderr);
  });
});
