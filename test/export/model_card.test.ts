import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { parse } from 'yaml';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { exportModel } from '../../src/export/export_model';
import { renderModelCard } from '../../src/model/model_card';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { trainRun, TrainRunSummary } from '../../src/pipelines/train_run';
import { readF32, runPython } from '../helpers/env';
import { maxAbsDiff } from '../helpers/compare';
import { tinyRun } from '../helpers/tiny_run';

const tiny = tinyRun({ steps: 20, every: 10, sentences: 80 });
let s: TrainRunSummary;

before(async () => {
  await selectBackend('tensorflow');
  await trainRun(loadConfig(tiny.config), { quiet: true, log: () => undefined });
  // What a user reads back: the summary as written, not the object in memory.
  s = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'run', 'summary.json'), 'utf8'));
});
after(() => fs.rmSync(tiny.dir, { recursive: true, force: true }));

/** The card's YAML front matter (parsed) and its body. */
function readCard(dir: string): { meta: Record<string, unknown>; body: string } {
  const text = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  assert.ok(m, `README.md in ${dir} starts with YAML front matter`);
  return { meta: parse(m[1]), body: m[2] };
}

/** Spearman (x100) to 2 decimals, other metrics to 4 significant digits: the card's and report's rounding. */
function rounded(name: string, v: number): string {
  return /spearman/.test(name) ? v.toFixed(2) : String(Number(v.toPrecision(4)));
}

function assertRunCard(dir: string): string {
  const { meta, body } = readCard(dir);
  assert.equal(meta.library_name, 'sentence-transformers');
  assert.equal(meta.pipeline_tag, 'sentence-similarity');
  assert.ok((meta.tags as string[]).includes('sentence-transformers'), JSON.stringify(meta));
  assert.equal(meta.base_model, undefined, 'a local teacher is no Hub base model');
  assert.ok(body.includes(tiny.teacher), 'names the teacher');
  assert.ok(body.includes(`| Kept teacher layers | ${s.keptLayers!.join(', ')} |`), body);
  assert.ok(body.includes(`| Student | ${s.student.layers} layers`), body);
  assert.match(body, /`mse` \(weight 1\)/);
  assert.ok(body.includes(path.join(tiny.dir, 'train.tsv')), 'names the train file');
  assert.ok(s.evals.length >= 2, JSON.stringify(s.evals));
  for (const e of s.evals) {
    const row = body.split('\n').find((l) => l.startsWith(`| ${e.step} |`));
    assert.ok(row, `eval step ${e.step} has a row`);
    for (const [k, v] of Object.entries(e)) if (k !== 'step') assert.ok(row.includes(` ${rounded(k, v)} `), `${k}=${v} at step ${e.step} in "${row}"`);
  }
  assert.ok(s.teacher.dev !== null);
  assert.ok(body.split('\n').some((l) => l.startsWith('| teacher |') && l.includes(rounded('spearman', s.teacher.dev!))), 'teacher score row');
  assert.ok(body.includes(`Best ${s.best!.metric}: ${rounded(s.best!.metric, s.best!.value)} at step ${s.best!.step}`), body);
  return body;
}

test('best/ and the final checkpoint carry a README.md card of the run; sentence-transformers 6.2.0 still loads best/ with it', async () => {
  const body = assertRunCard(s.bestDir);
  assert.ok(body.includes('SentenceTransformer("path/to/this/folder")'), 'how to load it');
  assertRunCard(s.finalDir);
  const sentences = ['w1 w2 w3', 'w7 w8 w9 w10'];
  const input = path.join(tiny.dir, 'in.txt');
  fs.writeFileSync(input, sentences.join('\n') + '\n');
  runPython('ref_encode.py', ['--model', s.bestDir, '--input', input, '--output', path.join(tiny.dir, 'ref.f32')]);
  const m = loadSentenceModel(s.bestDir);
  try {
    const ours = (await encodeSentences(m, sentences)).embeddings;
    assert.ok(maxAbsDiff(ours, readF32(path.join(tiny.dir, 'ref.f32'))) <= 1e-5);
  } finally {
    disposeSentenceModel(m);
  }
});

test('exports carry the card over, ONNX ones with the graph\'s real inputs and outputs; a plain folder gets a minimal card', async () => {
  const onnxDir = path.join(tiny.dir, 'export-onnx');
  await exportModel({ model: s.bestDir, out: onnxDir, format: 'onnx' });
  const body = assertRunCard(onnxDir);
  assert.ok(readCard(onnxDir).meta.tags && (readCard(onnxDir).meta.tags as string[]).includes('onnx'));
  assert.ok(body.includes('backend="onnx"'), 'sentence-transformers ONNX backend');
  assert.match(body, /pipeline\('feature-extraction', 'path\/to\/this\/folder'\)[\s\S]*pooling: 'mean'/);
  const sess = await ort.InferenceSession.create(path.join(onnxDir, 'onnx', 'model.onnx'));
  for (const n of [...sess.inputNames, ...sess.outputNames]) assert.ok(body.includes(`\`${n}\``), `card names ONNX ${n}`);
  await sess.release();

  const stDir = path.join(tiny.dir, 'export-st');
  await exportModel({ model: s.bestDir, out: stDir, format: 'sentence-transformers' });
  assert.ok(!assertRunCard(stDir).includes('backend="onnx"'));

  const plain = path.join(tiny.dir, 'export-plain');
  await exportModel({ model: tiny.teacher, out: plain, format: 'onnx' });
  const card = readCard(plain);
  assert.equal(card.meta.library_name, 'sentence-transformers');
  assert.match(card.body, /No evaluation was recorded/);
  assert.ok(card.body.includes('`sentence_embedding`'));
});

test('a Hub teacher is the card\'s base_model, with its revision and commit', () => {
  const commit = 'c'.repeat(40);
  const text = renderModelCard({
    teacher: { model: 'acme/tiny-bert@v1', hub: { repo: 'acme/tiny-bert', revision: 'v1', commit } },
    student: { layers: 2, hiddenSize: 32, embeddingDim: 32, pooling: ['mean'], dense: 0, normalize: false, maxSeqLength: 64, keptLayers: [0, 3] },
    losses: [{ name: 'mse', weight: 1, options: {} }], data: null, evals: [], best: null, teacherScore: null,
  });
  const meta = parse(/^---\n([\s\S]*?)\n---\n/.exec(text)![1]);
  assert.equal(meta.base_model, 'acme/tiny-bert');
  assert.ok(text.includes(`revision \`v1\`, commit \`${commit}\``));
});

test('report.html rounds its numbers and draws the teacher\'s dev score as a dashed line', () => {
  const html = fs.readFileSync(s.report, 'utf8');
  // No float printed with more than 5 significant digits (raw values print 15-17).
  const long = (html.match(/\d+\.\d+/g) ?? []).filter((n) => n.replace('.', '').replace(/^0+/, '').length > 5);
  assert.deepEqual(long, [], 'unrounded numbers in report.html');
  assert.ok(html.includes(`<th>teacher_spearman</th><td>${rounded('spearman', s.teacher.spearman!)}</td>`), 'teacher Spearman to 2 decimals');
  const ref = /<line class="reference" data-name="teacher" data-value="([^"]+)"[^>]*stroke-dasharray/.exec(html);
  assert.ok(ref, 'teacher reference line');
  assert.equal(ref[1], rounded('spearman', s.teacher.spearman!));
});
