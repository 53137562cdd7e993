import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, saveSentenceModel } from '../../src/model/sentence_model';
import { bertForward } from '../../src/model/bert_encoder';
import { sentenceHead } from '../../src/model/sentence_head';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { modelFingerprint } from '../../src/model/model_fingerprint';
import { readSafetensors, writeSafetensors } from '../../src/model/safetensors';
import { exportModel } from '../../src/export/export_model';
import { resolveConfig } from '../../src/config/resolve_config';
import { loadRunModels } from '../../src/pipelines/run_models';
import { DistillError } from '../../src/util/errors';
import { readF32, runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten, maxAbsDiff } from '../helpers/compare';

// BERT's pooler (dense + tanh on the first token) as a pooling option, checked against
// PyTorch transformers' pooler_output of tiny random BERT and RoBERTa models.
const TOL = 2e-5;
const ST_TOL = 1e-5;
// Only words in the vocab (w0-w94): the tiny RoBERTa's [UNK] is id 1, its padding_idx, which transformers would not count as a position.
const SENTENCES = ['w10 w20 w30', 'w7', 'w11 w12 w13 w14 w15 w16 w17 w18 w19 w21 w22', 'w94 w93 w92'];

interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  pooler: number[][];
}

describe('pooling "pooler": BERT pooler as CLS pooling + a Tanh Dense module', () => {
  const root = tmpDir('distill-pooler-');
  const dirs = { bert: path.join(root, 'bert'), roberta: path.join(root, 'roberta') };
  const ref = (name: keyof typeof dirs): Reference => JSON.parse(fs.readFileSync(path.join(dirs[name], 'reference.json'), 'utf8'));

  before(async () => {
    await selectBackend('tensorflow');
    runPython('make_tiny_bert.py', ['--out', dirs.bert, '--seed', '11']);
    runPython('make_tiny_bert.py', ['--out', dirs.roberta, '--seed', '12', '--arch', 'roberta', '--layers', '3']);
    // The tiny RoBERTa has a WordPiece vocab.txt; without this transformers would look for RoBERTa's BPE files.
    const tk = path.join(dirs.roberta, 'tokenizer_config.json');
    fs.writeFileSync(tk, JSON.stringify({ ...JSON.parse(fs.readFileSync(tk, 'utf8')), tokenizer_class: 'BertTokenizer' }));
  });

  for (const backend of ['tensorflow', 'cpu']) {
    test(`pooled output equals PyTorch pooler_output for BERT and RoBERTa on ${backend} (${TOL})`, async () => {
      await tf.setBackend(backend);
      try {
        for (const name of ['bert', 'roberta'] as const) {
          const m = loadSentenceModel(dirs[name], { pooling: 'pooler' });
          const r = ref(name);
          try {
            assert.deepEqual(m.pooling.modes, ['cls']);
            assert.deepEqual(m.dense.map((d) => [d.inFeatures, d.outFeatures, d.activation, d.bias]), [[32, 32, 'Tanh', true]]);
            tf.tidy(() => {
              const mask = tf.tensor2d(r.attention_mask, undefined, 'int32');
              const out = bertForward(m.config, m.weights, {
                inputIds: tf.tensor2d(r.input_ids, undefined, 'int32'), attentionMask: mask, tokenTypeIds: tf.tensor2d(r.token_type_ids, undefined, 'int32'),
              });
              assertClose(sentenceHead(m, out.lastHiddenState, mask).embedding.dataSync(), flatten(r.pooler), TOL, `${backend}/${name} pooler`);
            });
          } finally {
            disposeSentenceModel(m);
          }
        }
      } finally {
        await tf.setBackend('tensorflow');
      }
    });
  }

  test('a saved pooler model loads in sentence-transformers 6.2.0 and in ONNX, both equal to ours', async () => {
    const saved = (['bert', 'roberta'] as const).map((name) => {
      const m = loadSentenceModel(dirs[name], { pooling: 'pooler' });
      const out = path.join(root, 'saved', name);
      saveSentenceModel(m, out);
      disposeSentenceModel(m);
      return out;
    });
    const modules = JSON.parse(fs.readFileSync(path.join(saved[0], 'modules.json'), 'utf8'));
    assert.deepEqual(modules.map((m: { type: string }) => m.type.split('.').pop()), ['Transformer', 'Pooling', 'Dense']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(saved[0], '1_Pooling', 'config.json'), 'utf8')).pooling_mode_cls_token, true);
    assert.ok(readSafetensors(path.join(saved[0], 'model.safetensors')).has('pooler.dense.weight'), 'the encoder keeps its pooler for transformers');
    const input = path.join(root, 'in.txt');
    fs.writeFileSync(input, SENTENCES.join('\n') + '\n');
    runPython('st_encode_folders.py', ['--input', input, ...saved]);
    for (const d of saved) {
      const m = loadSentenceModel(d);
      try {
        assert.equal(m.dense.length, 1, 'the saved folder is read back as CLS + Dense, no option needed');
        const ours = await encodeSentences(m, SENTENCES);
        const diff = maxAbsDiff(ours.embeddings, readF32(`${d}.f32`));
        assert.ok(diff <= ST_TOL, `${path.basename(d)}: ours vs sentence-transformers ${diff}`);
      } finally {
        disposeSentenceModel(m);
      }
    }
    // ONNX needs nothing new: the pooler is a Dense module; onnxruntime vs PyTorch pooler_output on the reference ids.
    const out = path.join(root, 'onnx');
    const report = await exportModel({ model: saved[0], out, format: 'onnx', verify: true, tolerance: ST_TOL, verifySentences: SENTENCES });
    assert.ok(report.verify!.maxAbsDiff <= ST_TOL);
    const s = await ort.InferenceSession.create(path.join(out, 'onnx', 'model.onnx'));
    const r = ref('bert');
    const t = (x: number[][]) => new ort.Tensor('int64', BigInt64Array.from(x.flat(), BigInt), [x.length, x[0].length]);
    const y = await s.run({ input_ids: t(r.input_ids), attention_mask: t(r.attention_mask), token_type_ids: t(r.token_type_ids) });
    await s.release();
    assertClose(y.sentence_embedding.data as Float32Array, flatten(r.pooler), TOL, 'onnx vs PyTorch pooler_output');
  });

  test('the folder\'s own Dense modules move behind the pooler; the override changes the fingerprint', () => {
    const saved = path.join(root, 'saved', 'bert');
    const plain = loadSentenceModel(dirs.bert);
    const again = loadSentenceModel(saved, { pooling: 'pooler' });
    const mean = loadSentenceModel(saved, { pooling: 'mean' });
    try {
      assert.equal(again.dense.length, 2);
      const data = (name: string) => again.weights.get(name)!.dataSync();
      assert.deepEqual(data('dense.0.linear.weight'), data('pooler.dense.weight'));
      assert.deepEqual(data('dense.1.linear.weight'), data('pooler.dense.weight'), 'the saved pooler Dense, now module 1');
      assert.deepEqual(mean.pooling.modes, ['mean']);
      assert.equal(mean.dense.length, 1, 'a mode override keeps the folder\'s Dense modules');
      const fp = new Set([plain, again, mean].map((m) => modelFingerprint(m).fingerprint));
      assert.equal(fp.size, 3);
    } finally {
      [plain, again, mean].forEach(disposeSentenceModel);
    }
  });

  test('a folder without pooler tensors asked for pooler pooling names the folder\'s file and the tensors', () => {
    const bad = path.join(root, 'no-pooler');
    fs.cpSync(dirs.roberta, bad, { recursive: true });
    const file = path.join(bad, 'model.safetensors');
    const raw = readSafetensors(file);
    writeSafetensors(file, new Map([...raw].filter(([n]) => !n.startsWith('pooler.')).map(([n, t]) => [n, { shape: t.shape, data: t.data as Float32Array }])));
    assert.throws(() => loadSentenceModel(bad, { pooling: 'pooler' }), (e: unknown) => e instanceof DistillError
      && e.message.includes(file) && /"pooler\.dense\.weight" and "pooler\.dense\.bias"/.test(e.message));
    const m = loadSentenceModel(bad);
    disposeSentenceModel(m);
  });

  test('teacher.pooling: pooler in a run config gives the teacher (and the student built from it) the pooler', () => {
    const base = {
      name: 'p', output_dir: path.join(root, 'run'), student: { layers: 1 }, losses: [{ name: 'mse' }],
      data: { train: { path: path.join(root, 'train.tsv'), kind: 'sentences' as const } },
    };
    assert.throws(() => resolveConfig({ ...base, teacher: { model: dirs.bert, pooling: 'first' as never } }), /teacher\.pooling.*must be one of pooler, cls, max, mean, mean_sqrt_len/);
    assert.equal(resolveConfig({ ...base, teacher: { model: dirs.bert } }).teacher.pooling, undefined);
    const cfg = resolveConfig({ ...base, teacher: { model: dirs.bert, pooling: 'pooler' } });
    const run = loadRunModels(cfg);
    try {
      assert.deepEqual(run.teacher.pooling.modes, ['cls']);
      assert.equal(run.teacher.dense[0].activation, 'Tanh');
      assert.equal(run.student.model.dense.length, 1);
      assert.ok(run.student.variables.has('dense.0.linear.weight'), 'the student trains the pooler it starts from');
    } finally {
      run.dispose();
    }
  });
});
