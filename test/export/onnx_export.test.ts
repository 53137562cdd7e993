import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { exportModel } from '../../src/export/export_model';
import { buildBertOnnx } from '../../src/export/bert_onnx';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { loadDataset } from '../../src/data/read_dataset';
import { PairRecord } from '../../src/data/dataset_spec';
import { spearman } from '../../src/eval/spearman';
import { DistillError } from '../../src/util/errors';
import { CLI, DATA, ROOT, TEACHER_DIR, readF32, runPython, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';
import { maxAbsDiff, rowCosines } from '../helpers/compare';

async function stsSpearman(embed: (s: string[]) => Promise<Float32Array>, pairs: PairRecord[]): Promise<number> {
  const texts = [...new Set(pairs.flatMap((p) => [p.text_a, p.text_b]))];
  const at = new Map(texts.map((t, i) => [t, i]));
  const e = await embed(texts);
  const dim = e.length / texts.length;
  const a = new Float32Array(pairs.length * dim);
  const b = new Float32Array(pairs.length * dim);
  pairs.forEach((p, i) => {
    a.set(e.subarray(at.get(p.text_a)! * dim, (at.get(p.text_a)! + 1) * dim), i * dim);
    b.set(e.subarray(at.get(p.text_b)! * dim, (at.get(p.text_b)! + 1) * dim), i * dim);
  });
  return 100 * spearman(rowCosines(a, b, dim), pairs.map((p) => p.score));
}

describe('ONNX export', () => {
  let teacher: SentenceModel;
  let out: string;
  let sentences: string[];
  before(async () => {
    await selectBackend('tensorflow');
    teacher = loadSentenceModel(TEACHER_DIR);
    sentences = stsbDevSentences();
    out = path.join(tmpDir(), 'onnx-export');
    await exportModel({ model: TEACHER_DIR, out, format: 'onnx', quantize: 'int8', verify: true });
  });

  test('onnx.checker (full) accepts it and Python onnxruntime runs it with the transformers tokenizer', () => {
    const input = path.join(path.dirname(out), 'in.txt');
    fs.writeFileSync(input, sentences.slice(0, 64).join('\n') + '\n');
    for (const file of ['onnx/model.onnx', 'onnx/model_quantized.onnx']) {
      const r = JSON.parse(runPython('onnx_check.py', ['--dir', out, '--file', file, '--input', input, '--output', path.join(path.dirname(out), 'py.f32')]).trim().split('\n').pop()!);
      assert.deepEqual(r.inputs, ['input_ids', 'attention_mask', 'token_type_ids']);
      assert.deepEqual(r.outputs, ['token_embeddings', 'sentence_embedding', 'last_hidden_state']);
    }
    runPython('onnx_check.py', ['--dir', out, '--input', input, '--output', path.join(path.dirname(out), 'py.f32')]);
    const py = readF32(path.join(path.dirname(out), 'py.f32'));
    return encodeSentences(teacher, sentences.slice(0, 64)).then((ours) => assert.ok(maxAbsDiff(py, ours.embeddings) <= 1e-4, `python ort vs tfjs ${maxAbsDiff(py, ours.embeddings)}`));
  });

  test('fp32 ONNX in onnxruntime-node matches tfjs-node on all STS-B dev sentences (mixed-length padded batches)', async () => {
    const enc = await OnnxEncoder.open(path.join(out, 'onnx', 'model.onnx'));
    const onnxOut = await enc.encode(teacher.tokenizer, sentences, teacher.maxSeqLength, 16);
    await enc.release();
    const ours = await encodeSentences(teacher, sentences, { batchSize: 32 });
    const d = maxAbsDiff(onnxOut, ours.embeddings);
    console.log(`# ${sentences.length} sentences: max abs diff ${d.toExponential(3)}`);
    assert.ok(d <= 1e-4, `max abs diff ${d}`);
  });

  test('int8 export is >= 3.5x smaller and loses <= 0.5 Spearman points on STS-B dev', async () => {
    const fp = fs.statSync(path.join(out, 'onnx', 'model.onnx')).size;
    const q = fs.statSync(path.join(out, 'onnx', 'model_quantized.onnx')).size;
    const pairs = (await loadDataset({ path: path.join(DATA, 'en', 'stsb-dev.tsv'), kind: 'pairs', columns: { text_a: 'sentence1', text_b: 'sentence2', score: 'score' } })).records as PairRecord[];
    const run = async (file: string) => {
      const enc = await OnnxEncoder.open(path.join(out, 'onnx', file));
      const s = await stsSpearman((t) => enc.encode(teacher.tokenizer, t, teacher.maxSeqLength, 32), pairs);
      await enc.release();
      return s;
    };
    const sFp = await run('model.onnx');
    const sQ = await run('model_quantized.onnx');
    console.log(`# size ${(fp / 1e6).toFixed(1)} MB -> ${(q / 1e6).toFixed(1)} MB (${(fp / q).toFixed(2)}x); STS-B dev Spearman fp32 ${sFp.toFixed(2)}, int8 ${sQ.toFixed(2)}`);
    assert.ok(fp / q >= 3.5, `size ratio ${fp / q}`);
    assert.ok(sFp - sQ <= 0.5, `int8 loses ${sFp - sQ} points`);
  });

  test('CLS, max, mean-sqrt-len and concatenated pooling export correctly at opsets 17 and 18', async () => {
    const dir = tmpDir();
    const sample = sentences.slice(0, 40);
    for (const [modes, opset] of [[['cls'], 17], [['max'], 17], [['max'], 18], [['mean_sqrt_len', 'cls'], 21]] as const) {
      const m = { ...teacher, pooling: { modes: [...modes], dimension: 384 }, normalize: modes[0] === 'cls' };
      const file = path.join(dir, `${modes.join('_')}_${opset}.onnx`);
      fs.writeFileSync(file, buildBertOnnx(m, { opset }).bytes);
      const enc = await OnnxEncoder.open(file);
      const o = await enc.encode(m.tokenizer, sample, m.maxSeqLength, 8);
      await enc.release();
      const ours = await encodeSentences(m, sample, { batchSize: 8 });
      assert.equal(o.length, ours.embeddings.length);
      assert.ok(maxAbsDiff(o, ours.embeddings) <= 1e-4, `${modes}/${opset}: ${maxAbsDiff(o, ours.embeddings)}`);
    }
  });

  test('encode --runtime onnx gives the tfjs embeddings (1e-4) and caches the exported graph', () => {
    // The CLI caches graphs in ./.cache/onnx; running it in a fresh folder means each run exports
    // the graph itself instead of finding one a previous run (or another model) left in the repo's cache.
    const dir = tmpDir();
    const cache = path.join(dir, '.cache', 'onnx');
    const input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, sentences.slice(0, 120).join('\n') + '\n');
    const run = (runtime: string) => {
      const out = path.join(dir, `${runtime}.jsonl`);
      const r = spawnSync('node', [CLI, 'encode', '--model', TEACHER_DIR, '--input', input, '--output', out, '--runtime', runtime, '--json'], { cwd: dir, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return fs.readFileSync(out, 'utf8').trim().split('\n').flatMap((l) => JSON.parse(l).embedding as number[]);
    };
    assert.ok(!fs.existsSync(cache));
    const onnx = run('onnx');
    const tfjs = run('tfjs');
    assert.equal(onnx.length, 120 * 384);
    assert.ok(maxAbsDiff(onnx, tfjs) <= 1e-4, `${maxAbsDiff(onnx, tfjs)}`);
    assert.equal(fs.readdirSync(cache).filter((f) => f.endsWith('.onnx')).length, 1);
  });

  test('sentence-transformers export loads in Python and matches within 1e-5', async () => {
    const st = path.join(tmpDir(), 'st');
    await exportModel({ model: TEACHER_DIR, out: st, format: 'sentence-transformers' });
    const input = path.join(path.dirname(st), 'in.txt');
    fs.writeFileSync(input, sentences.slice(0, 50).join('\n') + '\n');
    runPython('ref_encode.py', ['--model', st, '--input', input, '--output', path.join(path.dirname(st), 'st.f32')]);
    const ours = await encodeSentences(teacher, sentences.slice(0, 50));
    assert.ok(maxAbsDiff(readF32(path.join(path.dirname(st), 'st.f32')), ours.embeddings) <= 1e-5);
  });

  test('bad input: not a model, bad opset, existing output, and a write that fails midway leave nothing behind', async () => {
    const dir = tmpDir();
    await assert.rejects(exportModel({ model: dir, out: path.join(dir, 'x'), format: 'onnx' }), (e: Error) => e instanceof DistillError && /missing config\.json/.test(e.message));
    await assert.rejects(exportModel({ model: TEACHER_DIR, out: path.join(dir, 'x'), format: 'onnx', opset: 11 }), /unsupported opset 11; supported: 17, 18, 19, 20, 21/);
    await assert.rejects(exportModel({ model: TEACHER_DIR, out, format: 'onnx' }), /output folder exists; pass --force/);
    const target = path.join(dir, 'cut');
    // A file-size limit of ~10 MB makes the 90 MB model.onnx write fail part-way (EFBIG), like a full disk.
    const r = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 20000; exec node ${CLI} export --model ${TEACHER_DIR} --out ${target}`], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    // One line naming the file inside the output folder and the errno, no stack (the folder itself never appears).
    assert.match(r.stderr, new RegExp(`^error: ${target}/model\\.safetensors: file too large.*\\(EFBIG\\) while writing onnx export$`, 'm'));
    assert.ok(!r.stderr.includes('    at '), r.stderr);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('cut')), [], 'no partial export or temporary folder');
  });
});
