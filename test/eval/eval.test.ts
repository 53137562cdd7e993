import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { spearman } from '../../src/eval/spearman';
import { bestThresholdAccuracy } from '../../src/eval/eval_files';
import { StsEvaluator } from '../../src/eval/sts_evaluator';
import { Rng } from '../../src/util/rng';
import { CLI, DATA, ROOT, TEACHER_DIR, runPython, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

before(async () => {
  await selectBackend('tensorflow');
});

test('Spearman (with ties) and best-threshold accuracy match scipy / brute force', () => {
  const rng = new Rng(2);
  const a = Array.from({ length: 300 }, () => Math.round(rng.next() * 20) / 4);
  const b = a.map((x) => x + rng.next() * 3);
  const sims = Array.from({ length: 200 }, () => Math.round(rng.next() * 50) / 50);
  const labels = sims.map((s) => (s + (rng.next() - 0.5) * 0.6 > 0.5 ? 1 : 0));
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify({ a, b, sims, labels }));
  runPython('ref_spearman.py', [path.join(dir, 'in.json'), path.join(dir, 'out.json')]);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));
  assert.ok(Math.abs(spearman(a, b) - ref.spearman) < 1e-12, `${spearman(a, b)} vs ${ref.spearman}`);
  assert.ok(Math.abs(bestThresholdAccuracy(sims, labels).accuracy - ref.accuracy) < 1e-9);
});

test('distill eval: STS and 0/1-label files in one call, with an average', () => {
  const dir = tmpDir();
  // A 0/1 file derived from STS-B dev: label 1 when the gold score is at least 3.
  const rows = fs.readFileSync(path.join(DATA, 'en', 'stsb-dev.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t'));
  const bin = path.join(dir, 'binary.tsv');
  fs.writeFileSync(bin, 'sentence1\tsentence2\tlabel\n' + rows.map((r) => `${r[6]}\t${r[7]}\t${Number(r[5]) >= 3 ? 1 : 0}`).join('\n') + '\n');
  const out = JSON.parse(execFileSync('node', [CLI, 'eval', '--model', TEACHER_DIR, '--data', path.join(DATA, 'en', 'stsb-dev.tsv'), '--data', bin, '--data', path.join(DATA, 'zh', 'csts-dev.txt'), '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  assert.deepEqual(out.results.map((r: { file: string }) => r.file), ['stsb-dev.tsv', 'binary.tsv', 'csts-dev.txt']);
  assert.equal(out.results[0].pairs, 1500);
  assert.ok(out.results[0].spearman > 85 && out.results[0].spearman < 89, `teacher STS-B dev ${out.results[0].spearman}`);
  assert.equal(out.results[0].accuracy, undefined);
  assert.ok(out.results[1].accuracy > 75, `binary accuracy ${out.results[1].accuracy}`);
  assert.equal(out.results[2].pairs, 1458);
  assert.ok(Math.abs(out.averageSpearman - (out.results[0].spearman + out.results[1].spearman + out.results[2].spearman) / 3) < 1e-9);
});

test('distill eval refuses pair files it cannot score: an unknown header, one pair, constant gold scores, extra fields (exit 2, naming file and line)', () => {
  const dir = tmpDir();
  const cases: Array<[string, string, RegExp]> = [
    ['header.tsv', 's1\ts2\tsim\nA man.\tA woman.\t1\nA dog.\tA cat.\t2\n', /header\.tsv: line 1 looks like a header \(s1, s2, sim\) but lacks the columns distill eval reads: expected a header with sentence1, sentence2 and one of score, label/],
    ['noscore.tsv', 'sentence1\tsentence2\tsim\nA man.\tA woman.\t1\n', /noscore\.tsv: line 1: the header \(sentence1, sentence2, sim\) has no score column: expected one of score, label/],
    ['one.tsv', 'sentence1\tsentence2\tscore\nA man.\tA woman.\t1\n', /one\.tsv: 1 pair: Spearman needs at least 2 pairs with different gold scores/],
    ['constant.tsv', 'sentence1\tsentence2\tscore\nA man.\tA woman.\t2.5\nA dog.\tA cat.\t2.5\nA car.\tA bus.\t2.5\n', /constant\.tsv: all 3 gold scores are 2\.5: Spearman is undefined when the gold scores do not vary/],
    ['extra.tsv', 'sentence1\tsentence2\tscore\nA man.\tA woman.\t1\nA dog.\tA cat.\t2\tnote\n', /extra\.tsv: line 3: row has 4 fields, the header has 3/],
  ];
  for (const [name, text, message] of cases) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    const p = spawnSync('node', [CLI, 'eval', '--model', TEACHER_DIR, '--data', path.join(DATA, 'zh', 'csts-dev.txt'), '--data', file], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 2, `${name}: ${p.stderr}`);
    assert.match(p.stderr, message, name);
    assert.equal(p.stdout, '', `${name}: no scores printed`);
  }
  assert.throws(() => new StsEvaluator([{ text_a: 'a', text_b: 'b', score: 1 }, { text_a: 'c', text_b: 'd', score: 1 }], 64, 'dev.tsv'), /dev\.tsv: all 2 gold scores are 1/);
});

test('distill bench: measured seed-card rows on both runtimes, with the gap against the first model', () => {
  const r = tinyRun({ steps: 1 });
  const student = path.join(r.dir, 'student');
  execFileSync('node', [CLI, 'train', '--config', r.config, '--set', 'train.max_steps=2', '--set', `output_dir=${student}`], { cwd: ROOT, stdio: 'ignore' });
  const best = path.join(student, 'best');
  for (const runtime of ['tfjs', 'onnx']) {
    const out = JSON.parse(execFileSync('node', [CLI, 'bench', '--model', r.teacher, '--model', best, '--batch', '4', '--seq', '32', '--runtime', runtime, '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    assert.equal(out.rows.length, 2);
    assert.deepEqual(out.rows.map((x: { layers: number }) => x.layers), [4, 2]);
    assert.ok(out.rows[1].parameters < out.rows[0].parameters);
    for (const row of out.rows) assert.ok(row.latencyMs > 0 && Number.isFinite(row.throughput) && row.throughput > 0 && row.costSeconds > 0, JSON.stringify(row));
  }
});
