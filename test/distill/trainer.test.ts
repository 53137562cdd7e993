import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { AdamW, noDecayForNormAndBias } from '../../src/distill/adamw';
import { buildStudent, Student } from '../../src/distill/build_student';
import { buildLosses } from '../../src/losses/loss_registry';
import { makeBatch, TrainData } from '../../src/distill/train_data';
import { NonFiniteLossError, Trainer } from '../../src/distill/trainer';
import { splitByRatio } from '../../src/data/split_dataset';
import { encodeSentences, embeddingDim } from '../../src/model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { trainRun } from '../../src/pipelines/train_run';
import { maxAbsDiff } from '../helpers/compare';
import { runPython, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

function setup(teacher: SentenceModel, maxGradNorm = 1) {
  const student = buildStudent(teacher, { layers: 2 }, 1);
  const losses = buildLosses([{ name: 'mse', weight: 1, options: {} }], { studentDim: embeddingDim(student.model), teacherDim: embeddingDim(teacher), seed: 1 });
  const optimizer = new AdamW(student.variables, { eps: 1e-6, weightDecay: 0.01, noDecay: noDecayForNormAndBias });
  const trainer = new Trainer({ student: student.model, variables: student.variables, losses, optimizer, maxGradNorm });
  return { student, optimizer, trainer, dispose: () => (optimizer.dispose(), tf.dispose([...student.variables.values()])) };
}

function weights(s: Student): Map<string, Float32Array> {
  return new Map([...s.variables].map(([k, v]) => [k, v.dataSync() as Float32Array]));
}

describe('Trainer.trainStep', () => {
  let teacher: SentenceModel;
  let data: TrainData;
  before(async () => {
    await selectBackend('tensorflow');
    const dir = path.join(tmpDir(), 'teacher');
    runPython('make_tiny_bert.py', ['--out', dir, '--seed', '4', '--layers', '4']);
    teacher = loadSentenceModel(dir);
    const texts = Array.from({ length: 8 }, (_, i) => Array.from({ length: 4 + i }, (_, j) => `w${(7 * i + 3 * j) % 95}`).join(' '));
    const ids = texts.map((t) => Int32Array.from(teacher.tokenizer.encode(t).ids));
    const t = await encodeSentences(teacher, texts);
    data = { ids, teacher: t.embeddings, teacherDim: t.dim, padId: teacher.tokenizer.padId, rows: texts.map((_, i) => [i]) };
  });

  test('two accumulated half batches give the same update as one full batch; the tensor count is unchanged', async () => {
    const a = setup(teacher, 0);
    const b = setup(teacher, 0);
    const w0 = weights(a.student);
    const before = tf.memory().numTensors;
    // Equal-length halves, so the mean over the full batch is the mean of the halves' means.
    const full = await a.trainer.trainStep([makeBatch(data, [0, 1, 2, 3])], 1e-3);
    const acc = await b.trainer.trainStep([makeBatch(data, [0, 1]), makeBatch(data, [2, 3])], 1e-3);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(Math.abs(full.loss - acc.loss) < 1e-6 * Math.max(1, full.loss), `loss ${full.loss} vs ${acc.loss}`);
    assert.ok(Math.abs(full.gradNorm - acc.gradNorm) < 1e-4 * full.gradNorm, `grad norm ${full.gradNorm} vs ${acc.gradNorm}`);
    assert.equal(acc.sentences, 4);
    assert.equal(a.trainer.step, 1);
    const wa = weights(a.student), wb = weights(b.student);
    let worst = 0;
    for (const [k, w] of wa) worst = Math.max(worst, maxAbsDiff(w, wb.get(k)!));
    assert.ok(worst < 1e-6, `max weight difference ${worst}`);
    assert.ok([...wa].some(([k, w]) => maxAbsDiff(w, w0.get(k)!) > 0), 'the step changed the weights');
    a.dispose();
    b.dispose();
  });

  test('a non-finite loss throws before any update and leaks nothing', async () => {
    const a = setup(teacher);
    const w0 = weights(a.student);
    const before = tf.memory().numTensors;
    const bad = makeBatch(data, [0, 1]);
    bad.teacher = bad.teacher.map(() => NaN);
    await assert.rejects(a.trainer.trainStep([bad], 1e-3), (e: unknown) => e instanceof NonFiniteLossError && /non-finite loss at step 1 \(mse=NaN/.test((e as Error).message));
    assert.equal(tf.memory().numTensors, before);
    assert.equal(a.trainer.step, 0, 'the optimizer did not step');
    for (const [k, w] of weights(a.student)) assert.equal(maxAbsDiff(w, w0.get(k)!), 0, k);
    a.dispose();
  });

  test('data.dev_ratio trains on 90% and evaluates MSE to the teacher on the other 10%', async () => {
    const r = tinyRun({ steps: 40, every: 20 });
    fs.writeFileSync(r.config, fs.readFileSync(r.config, 'utf8').replace(/^  dev: .*$/m, '  dev_ratio: 0.1'));
    const lines: string[] = [];
    const s = await trainRun(loadConfig(r.config), { quiet: true, log: (l) => lines.push(l) });
    assert.equal(s.devMetric?.name, 'mse_to_teacher');
    assert.match(lines.join('\n'), /data: 360 training rows, 360 distinct sentences \(400 rows read/);
    assert.match(s.devMetric!.source, /40 rows held out of data\.train \(dev_ratio 0\.1\)/);
    assert.deepEqual(s.evals.map((e) => e.step), [0, 20, 40]);
    assert.ok(s.evals[2].mse_to_teacher < s.evals[0].mse_to_teacher, `MSE ${s.evals[0].mse_to_teacher} -> ${s.evals[2].mse_to_teacher}`);
    assert.equal(s.best?.metric, 'mse_to_teacher');
    assert.equal(s.best?.value, Math.min(s.evals[1].mse_to_teacher, s.evals[2].mse_to_teacher), 'lower MSE is better');
    // Independent check of the last value: the saved student vs the teacher on the held-out rows.
    const rows = fs.readFileSync(path.join(r.dir, 'train.tsv'), 'utf8').trim().split('\n').slice(1);
    const held = splitByRatio(rows, 0.1, 42).dev;
    const saved = loadSentenceModel(s.finalDir);
    const es = await encodeSentences(saved, held);
    disposeSentenceModel(saved);
    const teacherModel = loadSentenceModel(r.teacher);
    const et2 = await encodeSentences(teacherModel, held);
    disposeSentenceModel(teacherModel);
    let sum = 0;
    es.embeddings.forEach((v, i) => (sum += (v - et2.embeddings[i]) ** 2));
    const mse = (100 * sum) / es.embeddings.length;
    assert.ok(Math.abs(mse - s.evals[2].mse_to_teacher) < 1e-4 * mse, `summary ${s.evals[2].mse_to_teacher} vs recomputed ${mse}`);
  });
});
