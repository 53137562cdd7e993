import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { resolveConfig } from '../../src/config/resolve_config';
import { exportModel } from '../../src/export/export_model';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel, saveSentenceModel } from '../../src/model/sentence_model';
import { buildStudent, layerTable } from '../../src/distill/build_student';
import * as tf from '../../src/backend/tf';
import { trainRun } from '../../src/pipelines/train_run';
import { DistillError } from '../../src/util/errors';
import { maxAbsDiff } from '../helpers/compare';
import { DATA, readF32, runPython, tmpDir } from '../helpers/env';

// A RoBERTa teacher (byte-level BPE, 48 wide) distilled into a BERT student
// (WordPiece, 32 wide) cut from another model: each tokenises its own text.
// References: sentence-transformers 6.2.0 loading what we save (1e-5), and
// onnxruntime running what we export (1e-4).
const ST_TOL = 1e-5;
const ONNX_TOL = 1e-4;

describe('cross-architecture distillation: RoBERTa teacher -> BERT student', () => {
  let root: string;
  let sentences: string[];
  const config = (over: Record<string, unknown> = {}) => resolveConfig({
    name: 'cross', output_dir: path.join(root, 'run'),
    teacher: { model: path.join(root, 'teacher'), cache_dir: path.join(root, 'cache') },
    student: { model: path.join(root, 'student-base'), layers: 2 },
    losses: [{ name: 'mse' }],
    data: {
      train: { path: path.join(root, 'train.tsv'), kind: 'sentences' },
      dev: { path: path.join(root, 'dev.tsv'), kind: 'pairs', columns: { text_a: 'sentence1', text_b: 'sentence2', score: 'score' } },
    },
    train: { max_steps: 12, batch_size: 16, lr: 0.002, eval_every: 6, log_every: 4 },
    checkpoint: { every: 6, keep_last: 1 },
    ...over,
  });

  before(async () => {
    await selectBackend('tensorflow');
    root = tmpDir('distill-cross-');
    runPython('make_cross_family.py', ['--out', root, '--sentences', path.join(DATA, 'en', 'train-sentences.tsv')]);
    sentences = fs.readFileSync(path.join(DATA, 'en', 'train-sentences.tsv'), 'utf8').split('\n').slice(1, 301).filter(Boolean).map((l) => l.split('\t')[1]);
    fs.writeFileSync(path.join(root, 'train.tsv'), 'text\n' + sentences.join('\n') + '\n');
    const dev = fs.readFileSync(path.join(DATA, 'en', 'stsb-dev.tsv'), 'utf8').split('\n');
    fs.writeFileSync(path.join(root, 'dev.tsv'), dev.slice(0, 201).join('\n') + '\n');
    fs.writeFileSync(path.join(root, 'probe.txt'), sentences.slice(0, 24).join('\n') + '\n');
  });

  test('mse with a projection trains; the saved BERT student loads in sentence-transformers and exports to matching ONNX', async () => {
    const lines: string[] = [];
    const s = await trainRun(config(), { quiet: true, log: (l) => lines.push(l) });
    assert.equal(s.steps, 12);
    assert.match(lines.join('\n'), /teacher: .*\(roberta, 3 layers, 48 wide/);
    assert.match(lines.join('\n'), /student \(bert\): 2 of 4 student\.model \(.*student-base\) layers/);
    assert.match(lines.join('\n'), /loss head mse\.proj\.weight: \[32,48\]/);
    const losses = fs.readFileSync(path.join(s.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.loss as number);
    assert.ok(losses.length >= 3 && losses.every(Number.isFinite), `losses ${losses}`);
    assert.ok(losses[losses.length - 1] < losses[0], `loss fell: ${losses}`);
    assert.deepEqual(s.evals.map((e) => e.step), [0, 6, 12]);

    const student = loadSentenceModel(s.finalDir);
    try {
      assert.equal(student.config.modelType, 'bert');
      assert.equal(student.config.numHiddenLayers, 2);
      assert.equal(student.config.hiddenSize, 32);
      const probe = sentences.slice(0, 24);
      const input = path.join(root, 'probe.txt');
      const ours = await encodeSentences(student, probe);
      runPython('st_encode_folders.py', ['--input', input, s.finalDir]);
      const st = maxAbsDiff(ours.embeddings, readF32(`${s.finalDir.replace(/\/$/, '')}.f32`));
      assert.ok(st <= ST_TOL, `student: ours vs sentence-transformers ${st}`);

      const out = path.join(root, 'export');
      const report = await exportModel({ model: s.finalDir, out, format: 'onnx', verify: true, tolerance: ONNX_TOL, verifySentences: probe });
      assert.ok(report.verify!.maxAbsDiff <= ONNX_TOL);
      const enc = await OnnxEncoder.open(path.join(out, 'onnx', 'model.onnx'));
      const onnx = await enc.encode(student.tokenizer, probe, student.maxSeqLength, 8);
      await enc.release();
      const d = maxAbsDiff(onnx, ours.embeddings);
      assert.ok(d <= ONNX_TOL, `onnx vs tfjs ${d}`);
    } finally {
      disposeSentenceModel(student);
    }
  });

  test('the RoBERTa teacher itself exports to ONNX (positions after padding, no token_type_ids input) matching tfjs', async () => {
    const out = path.join(root, 'teacher-onnx');
    const report = await exportModel({ model: path.join(root, 'teacher'), out, format: 'onnx', verify: true, tolerance: ONNX_TOL, verifySentences: sentences.slice(0, 24) });
    assert.ok(report.verify!.maxAbsDiff <= ONNX_TOL, `teacher onnx vs tfjs ${report.verify!.maxAbsDiff}`);
    const checked = JSON.parse(runPython('onnx_check.py', ['--dir', out, '--input', path.join(root, 'probe.txt'), '--output', path.join(root, 'teacher.onnx.f32'), '--max-length', '64']).trim().split('\n').pop()!);
    assert.deepEqual(checked.inputs, ['input_ids', 'attention_mask']);
    const teacher = loadSentenceModel(path.join(root, 'teacher'));
    try {
      const ours = await encodeSentences(teacher, sentences.slice(0, 24));
      const d = maxAbsDiff(ours.embeddings, readF32(path.join(root, 'teacher.onnx.f32')));
      assert.ok(d <= ONNX_TOL, `python onnxruntime (transformers' tokenizer) vs tfjs ${d}`);
    } finally {
      disposeSentenceModel(teacher);
    }
  });

  test('a RoBERTa 3 -> 2 layer-subset student prints its table and saves a folder sentence-transformers loads as RoBERTa (1e-5)', async () => {
    const teacher = loadSentenceModel(path.join(root, 'teacher'));
    const student = buildStudent(teacher, { layers: [0, 2] });
    try {
      const table = layerTable(student);
      assert.match(table, /student \(roberta\): 2 of 3 teacher layers/);
      assert.match(table, /student layer 1 {2}<- {2}teacher layer 2/);
      const out = path.join(root, 'roberta-student');
      saveSentenceModel(student.model, out);
      const saved = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
      assert.deepEqual([saved.model_type, saved.num_hidden_layers, saved.architectures[0]], ['roberta', 2, 'RobertaModel']);
      const ours = await encodeSentences(student.model, sentences.slice(0, 24));
      runPython('st_encode_folders.py', ['--input', path.join(root, 'probe.txt'), out]);
      const d = maxAbsDiff(ours.embeddings, readF32(`${out}.f32`));
      assert.ok(d <= ST_TOL, `roberta student: ours vs sentence-transformers ${d}`);
    } finally {
      tf.dispose([...student.variables.values()]);
      disposeSentenceModel(teacher);
    }
  });

  test('cosine + ibkd and margin_mse (triplets) also train across families, tokenizers and widths', async () => {
    const triplets = fs.readFileSync(path.join(DATA, 'en', 'stsb-train-triplets.tsv'), 'utf8').split('\n').slice(0, 121).join('\n') + '\n';
    fs.writeFileSync(path.join(root, 'triplets.tsv'), triplets);
    const runs = [
      config({ losses: [{ name: 'cosine' }, { name: 'ibkd', weight: 0.5 }], output_dir: path.join(root, 'run-ibkd') }),
      config({ losses: [{ name: 'margin_mse' }], output_dir: path.join(root, 'run-margin'), data: { train: { path: path.join(root, 'triplets.tsv'), kind: 'triplets' }, dev: config().data.dev } }),
    ];
    for (const cfg of runs) {
      cfg.train.max_steps = 4;
      cfg.train.eval_every = 4;
      const lines: string[] = [];
      const s = await trainRun(cfg, { quiet: true, log: (l) => lines.push(l) });
      assert.equal(s.steps, 4, cfg.output_dir);
      const heads = lines.filter((l) => l.includes('loss head')).join('\n');
      if (cfg.losses.some((l) => l.name === 'ibkd')) assert.match(heads, /cosine\.proj.*\n.*ibkd\.head/s);
      const losses = fs.readFileSync(path.join(s.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined);
      assert.ok(losses.length > 0 && losses.every((m) => Number.isFinite(m.loss)), `${cfg.output_dir}: ${JSON.stringify(losses)}`);
    }
  });

  test('layer-wise losses across tokenizers are refused, naming the losses and both models', async () => {
    await assert.rejects(trainRun(config({ losses: [{ name: 'mse' }, { name: 'hidden_mse' }], output_dir: path.join(root, 'run-bad') }), { quiet: true, log: () => undefined }),
      (e: unknown) => e instanceof DistillError && /layer-wise losses \(hidden_mse\)/.test(e.message) && e.message.includes('student-base') && e.message.includes('teacher'));
  });
});
