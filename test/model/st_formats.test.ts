import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { onnxFeeds } from '../../src/export/onnx_feeds';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, saveSentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { exportModel } from '../../src/export/export_model';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { tokenizeBatch } from '../../src/tokenizer/sentence_tokenizer';
import { resolveConfig } from '../../src/config/resolve_config';
import { trainRun } from '../../src/pipelines/train_run';
import { DistillError } from '../../src/util/errors';
import { readF32, runPython, tmpDir } from '../helpers/env';
import { maxAbsDiff } from '../helpers/compare';

// Folders written by the .venv's sentence-transformers 6.2.0, and one rewritten in the 2.x format.
const TOL = 1e-5;
const SENTENCES = [
  'A man is playing a guitar.',
  'Hello',
  'The quick brown fox jumps over the lazy dog.',
  'what is the capital of france?',
  'two dogs run on the snow field and a cat sat on the mat',
  'ok',
];
const MODELS: Record<string, string[]> = {
  // 6.x names, `pooling_mode` as a list in an order the 2.x booleans cannot say, prompts (one of them
  // prefixed to every sentence by default) and similarity.
  v6: ['--pooling', 'mean,cls', '--normalize', '--prompts', '--default-prompt', 'query'],
  // 2.x names and `pooling_mode_*` booleans; max + mean concatenate as max then mean.
  legacy: ['--pooling', 'max,mean', '--legacy'],
  // 6.x with a Dense module (pooled 32 -> 16, Tanh) before Normalize.
  dense: ['--dense', '16', '--normalize'],
};

describe('sentence-transformers folders of every format', () => {
  const root = tmpDir('distill-stfmt-');
  const input = path.join(root, 'in.txt');
  const dir = (name: string) => path.join(root, name);
  const reference = (name: string) => readF32(`${dir(name)}.ref.f32`);

  before(async () => {
    await selectBackend('tensorflow');
    fs.writeFileSync(input, SENTENCES.join('\n') + '\n');
    const specs = Object.entries(MODELS).flatMap(([name, args]) => ['--spec', ['--out', dir(name), ...args].join(' ')]);
    runPython('make_st_model.py', ['--input', input, ...specs]);
  });

  for (const name of Object.keys(MODELS)) {
    test(`${name}: loads and encodes equal to sentence-transformers (${TOL})`, async () => {
      const m = loadSentenceModel(dir(name));
      try {
        const r = await encodeSentences(m, SENTENCES, { batchSize: 4 });
        assert.equal(r.embeddings.length, reference(name).length, 'embedding width');
        const d = maxAbsDiff(r.embeddings, reference(name));
        assert.ok(d <= TOL, `max abs difference ${d}`);
      } finally {
        disposeSentenceModel(m);
      }
    });
  }

  test('what we save is loaded by sentence-transformers 6.2.0 and encodes equal; prompts and similarity carried over', () => {
    const saved = Object.keys(MODELS).map((name) => {
      const m = loadSentenceModel(dir(name));
      const out = path.join(root, 'saved', name);
      saveSentenceModel(m, out);
      disposeSentenceModel(m);
      return out;
    });
    const log = runPython('st_encode_folders.py', ['--input', input, ...saved]);
    for (const [i, name] of Object.keys(MODELS).entries()) {
      const d = maxAbsDiff(readF32(`${saved[i]}.f32`), reference(name));
      assert.ok(d <= TOL, `${name}: max abs difference ${d}`);
    }
    assert.match(log, /saved\/v6 6 64 dot \['document', 'passage', 'query'\]/);
    const st = JSON.parse(fs.readFileSync(path.join(saved[0], 'config_sentence_transformers.json'), 'utf8'));
    assert.deepEqual(st.prompts, { document: '', passage: 'passage: ', query: 'query: ' });
    assert.equal(st.similarity_fn_name, 'dot');
    assert.equal(st.default_prompt_name, 'query');
    // Written in the format every version reads: 2.x type names and pooling booleans.
    const modules = JSON.parse(fs.readFileSync(path.join(saved[2], 'modules.json'), 'utf8'));
    assert.deepEqual(modules.map((m: { type: string }) => m.type.split('.').pop()), ['Transformer', 'Pooling', 'Dense', 'Normalize']);
    assert.ok(modules.every((m: { type: string }) => m.type.startsWith('sentence_transformers.models.')));
    const pooling = JSON.parse(fs.readFileSync(path.join(saved[1], '1_Pooling', 'config.json'), 'utf8'));
    assert.equal(pooling.pooling_mode_max_tokens, true);
    assert.equal(pooling.pooling_mode_mean_tokens, true);
    assert.equal(pooling.pooling_mode, undefined, 'booleans say max+mean; no 6.x-only key needed');
  });

  test('ONNX export with a Dense module matches in onnxruntime and has last_hidden_state = token_embeddings', async () => {
    const out = path.join(root, 'onnx-dense');
    const report = await exportModel({ model: dir('dense'), out, format: 'onnx', verify: true, tolerance: TOL, verifySentences: SENTENCES });
    assert.ok(report.verify!.maxAbsDiff <= TOL);
    assert.ok(fs.existsSync(path.join(out, '2_Dense', 'model.safetensors')), "the Dense weights stay for sentence-transformers' ONNX backend");
    // onnx.checker (full), then Python onnxruntime with the transformers tokenizer from the export folder.
    const py = path.join(root, 'onnx-dense.f32');
    const checked = JSON.parse(runPython('onnx_check.py', ['--dir', out, '--input', input, '--output', py]).trim().split('\n').pop()!);
    assert.deepEqual(checked.outputs, ['token_embeddings', 'sentence_embedding', 'last_hidden_state']);
    assert.ok(maxAbsDiff(readF32(py), reference('dense')) <= TOL, `python onnxruntime vs sentence-transformers ${maxAbsDiff(readF32(py), reference('dense'))}`);
    const m = loadSentenceModel(dir('dense'));
    try {
      const enc = await OnnxEncoder.open(path.join(out, 'onnx', 'model.onnx'));
      const e = await enc.encode(m.tokenizer, SENTENCES, m.maxSeqLength, 4);
      await enc.release();
      assert.ok(maxAbsDiff(e, reference('dense')) <= TOL, `onnx vs sentence-transformers ${maxAbsDiff(e, reference('dense'))}`);
      const s = await ort.InferenceSession.create(path.join(out, 'onnx', 'model.onnx'));
      assert.deepEqual(s.outputNames, ['token_embeddings', 'sentence_embedding', 'last_hidden_state']);
      const b = tokenizeBatch(m.tokenizer, SENTENCES, m.maxSeqLength);
      const r = await s.run(onnxFeeds(s.inputNames, b));
      assert.deepEqual(r.last_hidden_state.dims, [b.batch, b.seqLen, 32]);
      assert.equal(maxAbsDiff(r.last_hidden_state.data as Float32Array, r.token_embeddings.data as Float32Array), 0);
      await s.release();
    } finally {
      disposeSentenceModel(m);
    }
  });

  test('a teacher with a Dense module trains a student that keeps and trains it; 6.2.0 loads the student', async () => {
    const words = 'the a man woman dog cat plays guitar runs field snow on in of and to hello quick brown fox'.split(' ');
    const rows = Array.from({ length: 60 }, (_, i) => Array.from({ length: 3 + (i % 7) }, (_, k) => words[(i * 7 + k * 3) % words.length]).join(' '));
    fs.writeFileSync(path.join(root, 'train.tsv'), 'text\n' + rows.join('\n') + '\n');
    const cfg = resolveConfig({
      name: 'dense', output_dir: path.join(root, 'run'),
      teacher: { model: dir('dense'), cache_dir: path.join(root, 'cache') },
      student: { layers: 1 },
      losses: [{ name: 'mse' }],
      data: { train: { path: path.join(root, 'train.tsv'), kind: 'sentences' }, dev_ratio: 0.1 },
      train: { max_steps: 4, batch_size: 8, lr: 0.01, eval_every: 4, metric_for_best: 'mse_to_teacher' },
    });
    const s = await trainRun(cfg, { quiet: true, log: () => undefined });
    const student = loadSentenceModel(s.finalDir);
    const teacher = loadSentenceModel(dir('dense'));
    try {
      assert.equal(student.dense.length, 1);
      const w = (m: typeof student) => m.weights.get('dense.0.linear.weight')!.dataSync() as Float32Array;
      assert.ok(maxAbsDiff(w(student), w(teacher)) > 0, 'the Dense weights were trained');
      const ours = await encodeSentences(student, SENTENCES);
      runPython('st_encode_folders.py', ['--input', input, s.finalDir]);
      const d = maxAbsDiff(ours.embeddings, readF32(`${s.finalDir.replace(/\/$/, '')}.f32`));
      assert.ok(d <= TOL, `student: ours vs sentence-transformers ${d}`);
    } finally {
      disposeSentenceModel(student);
      disposeSentenceModel(teacher);
    }
  });

  test('an unknown module type names the module, its type and the supported ones', () => {
    const bad = path.join(root, 'bad');
    fs.cpSync(dir('v6'), bad, { recursive: true });
    const file = path.join(bad, 'modules.json');
    const modules = JSON.parse(fs.readFileSync(file, 'utf8'));
    modules[2].type = 'sentence_transformers.models.LayerNorm';
    fs.writeFileSync(file, JSON.stringify(modules));
    assert.throws(() => loadSentenceModel(bad), (e: unknown) => e instanceof DistillError
      && /module 2 has unsupported type "sentence_transformers\.models\.LayerNorm"; supported: .*sentence_transformers\.base\.modules\.transformer\.Transformer.*sentence_transformers\.models\.Dense/.test(e.message)
      && e.message.includes(file));
  });

  test('a default prompt with prompt tokens left out of pooling is refused, naming both keys', () => {
    const bad = path.join(root, 'bad-prompt');
    fs.cpSync(dir('v6'), bad, { recursive: true });
    const file = path.join(bad, '1_Pooling', 'config.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), include_prompt: false }));
    assert.throws(() => loadSentenceModel(bad), /default prompt with include_prompt false .*default_prompt_name/);
  });

  test('a Dense module we cannot compute is refused by key', () => {
    const bad = path.join(root, 'bad-dense');
    fs.cpSync(dir('dense'), bad, { recursive: true });
    const file = path.join(bad, '2_Dense', 'config.json');
    const cfg = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify({ ...cfg, activation_function: 'torch.nn.modules.activation.Softplus' }));
    assert.throws(() => loadSentenceModel(bad), /key "activation_function": unsupported "torch\.nn\.modules\.activation\.Softplus"; supported: torch\.nn Tanh, Identity, ReLU, Sigmoid, GELU/);
    fs.writeFileSync(file, JSON.stringify({ ...cfg, use_residual: true }));
    assert.throws(() => loadSentenceModel(bad), /key "use_residual"/);
  });
});
