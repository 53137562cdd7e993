import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { trainRun } from '../../src/pipelines/train_run';
import { Rng } from '../../src/util/rng';
import { loadSentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { DATA, ROOT, TEACHER_DIR, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

function losses(runDir: string, key: string): number[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m[key] !== undefined).map((m) => m[key]);
}

describe('recipes run end to end', () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  test('TinyBERT-style hidden_mse + attention with a live teacher, and margin_mse on triplets, lower their losses', async () => {
    const r = tinyRun({ steps: 120, every: 60, extra: [] });
    const cfg = loadConfig(r.config, ['losses=[{name: hidden_mse}, {name: attention, mode: kl}, {name: attention, mode: mse, weight: 0.01}]']);
    await trainRun(cfg, { quiet: true, log: () => {} });
    for (const k of ['loss/hidden_mse', 'loss/attention']) {
      const l = losses(cfg.output_dir, k);
      assert.ok(l[l.length - 1] < 0.7 * l[0], `${k}: ${l[0]} -> ${l[l.length - 1]}`);
    }
    const rng = new Rng(3);
    const s = () => Array.from({ length: 3 + Math.floor(rng.next() * 10) }, () => `w${Math.floor(rng.next() * 95)}`).join(' ');
    const trip = path.join(r.dir, 'triplets.tsv');
    fs.writeFileSync(trip, 'query\tpositive\tnegative\n' + Array.from({ length: 200 }, () => `${s()}\t${s()}\t${s()}`).join('\n') + '\n');
    const cfg2 = loadConfig(r.config, ['losses=[{name: margin_mse}]', `data.train={path: ${trip}, kind: triplets}`, `output_dir=${path.join(r.dir, 'run2')}`]);
    const sum = await trainRun(cfg2, { quiet: true, log: () => {} });
    const l = losses(cfg2.output_dir, 'loss/margin_mse');
    assert.ok(l[l.length - 1] < 0.7 * l[0], `margin_mse: ${l[0]} -> ${l[l.length - 1]}`);
    assert.equal(sum.steps, 120);
    await assert.rejects(trainRun(loadConfig(r.config, ['losses=[{name: margin_mse}]', `output_dir=${path.join(r.dir, 'run3')}`]), { quiet: true, log: () => {} }), /margin_mse trains on \(query, positive, negative\) rows; data\.train\.kind is "sentences"/);
  });

  test('a fresh, narrower student trains through learned projections and saves a loadable model of its own width', async () => {
    const r = tinyRun({ steps: 150, every: 150 });
    const cfg = loadConfig(r.config, ['student={layers: 2, hidden_size: 16, num_attention_heads: 2, intermediate_size: 32}', 'losses=[{name: mse}, {name: hidden_mse, weight: 0.1}]']);
    const s = await trainRun(cfg, { quiet: true, log: () => {} });
    assert.equal(s.keptLayers, null);
    const l = losses(cfg.output_dir, 'loss/mse');
    assert.ok(l[l.length - 1] < 0.7 * l[0], `mse through projection: ${l[0]} -> ${l[l.length - 1]}`);
    const saved = loadSentenceModel(s.finalDir);
    assert.equal(saved.config.hiddenSize, 16);
    assert.equal(saved.pooling.dimension, 16);
    const e = await encodeSentences(saved, ['w1 w2 w3']);
    assert.equal(e.dim, 16);
    assert.ok(fs.existsSync(path.join(s.finalDir, 'loss_heads.safetensors')), 'projection heads are kept for resume, outside the model');
    assert.throws(() => loadConfig(r.config, ['student={layers: [0, 1], hidden_size: 16}']), /must be a layer count for a fresh student/);
  });

  test('quickstart recipe on the real teacher: loss goes down and the student is within 3 Spearman points after 100 steps', async () => {
    const out = path.join(tmpDir(), 'qs');
    const cfg = loadConfig(path.join(ROOT, 'configs', 'quickstart.yaml'), [
      `output_dir=${out}`, 'train.max_steps=100', 'train.eval_every=100', 'checkpoint.every=100',
      `teacher.model=${TEACHER_DIR}`, `data.train.path=${path.join(DATA, 'en', 'train-sentences.tsv')}`, `data.dev.path=${path.join(DATA, 'en', 'stsb-dev.tsv')}`,
      `teacher.cache_dir=${path.join(ROOT, '.cache', 'teacher')}`, 'data.train.limit=3200',
    ]);
    const s = await trainRun(cfg, { quiet: true, log: () => {} });
    const l = losses(out, 'loss');
    console.log(`# teacher ${s.teacher.spearman!.toFixed(2)}, student before ${s.evals[0].spearman.toFixed(2)}, after 100 steps ${s.student.spearman!.toFixed(2)}; loss ${l[0].toExponential(3)} -> ${l[l.length - 1].toExponential(3)}`);
    assert.ok(l[l.length - 1] < l[0], 'loss went down');
    assert.ok(s.student.spearman! > s.evals[0].spearman + 3, 'training improved the student');
    assert.ok(s.student.spearman! >= s.teacher.spearman! - 3, `student ${s.student.spearman} vs teacher ${s.teacher.spearman}`);
    // Speed is measured by bench:export and bench:encode, not asserted in a test.
  });
});
