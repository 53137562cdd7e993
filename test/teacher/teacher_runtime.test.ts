import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { tfjsTeacherEncode } from '../../src/teacher/teacher_embeddings';
import { cacheTeacher, openTeacherCache } from '../../src/pipelines/cache_teacher';
import { sentenceKey } from '../../src/data/sentence_key';
import { teacherRuntime } from '../../src/pipelines/teacher_runtime';
import { loadConfig } from '../../src/config/parse_config';
import { configHash } from '../../src/config/config_hash';
import { TEACHER_DIR, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A cache-teacher config over `sentences` (written as a one-column TSV) with the given teacher.runtime. */
function config(root: string, sentences: string[], runtime: string) {
  const data = path.join(root, 'sentences.tsv');
  fs.writeFileSync(data, ['sentence', ...sentences].join('\n') + '\n');
  const file = path.join(root, `${runtime}.yaml`);
  fs.writeFileSync(file, [
    `teacher: {model: ${TEACHER_DIR}, cache_dir: ${path.join(root, 'cache')}, runtime: ${runtime}}`,
    'student: {layers: 2}',
    `data: {train: {path: ${data}, kind: sentences, columns: {text: sentence}}}`,
  ].join('\n'));
  return loadConfig(file);
}

describe('teacher.runtime', () => {
  let model: SentenceModel;
  let sentences: string[];
  before(async () => {
    await selectBackend('tensorflow');
    model = loadSentenceModel(TEACHER_DIR);
    // Long and short sentences, so batches are padded differently.
    sentences = stsbDevSentences().slice(0, 256);
  });

  test('onnx teacher embeddings equal tfjs within 1e-5 on the real teacher, and count as encoded sentences', async () => {
    const rt = teacherRuntime(model, 'onnx', { onnxDir: path.join(tmpDir(), 'onnx') });
    try {
      const before = model.stats.sentencesEncoded;
      const onnx = await rt.encode(sentences, { batchSize: 32 });
      assert.equal(rt.chosen(), 'onnx');
      assert.equal(model.stats.sentencesEncoded - before, sentences.length);
      const tfjs = await tfjsTeacherEncode(model)(sentences, { batchSize: 32 });
      const d = maxAbsDiff(onnx.embeddings, tfjs.embeddings);
      console.log(`max |onnx - tfjs| over ${sentences.length} sentences: ${d.toExponential(2)}`);
      assert.ok(d < 1e-5, `max |onnx - tfjs| = ${d}`);
    } finally {
      await rt.release();
    }
  });

  test('auto picks onnx and says why, once; a fully cached teacher opens no runtime', async () => {
    const lines: string[] = [];
    const rt = teacherRuntime(model, 'auto', { onnxDir: path.join(tmpDir(), 'onnx'), log: (l) => lines.push(l) });
    try {
      assert.equal(rt.chosen(), null);
      await rt.encode(sentences.slice(0, 8), {});
      await rt.encode(sentences.slice(8, 16), {});
      assert.equal(rt.chosen(), 'onnx');
      assert.equal(lines.length, 1);
      assert.match(lines[0], /^teacher runtime: onnx \(auto: the teacher exports to ONNX/);
    } finally {
      await rt.release();
    }
  });

  test('a cache filled on onnx serves a tfjs-configured run (the runtime is not part of the cache key or config hash)', async () => {
    const root = tmpDir();
    const onnxCfg = config(root, sentences, 'onnx');
    const tfjsCfg = config(root, sentences, 'tfjs');
    assert.equal(configHash(onnxCfg), configHash(tfjsCfg));
    const filled = await cacheTeacher(onnxCfg, { quiet: true });
    assert.equal(filled.runtime, 'onnx');
    assert.equal(filled.computed, sentences.length);
    const served = await cacheTeacher(tfjsCfg, { quiet: true });
    assert.equal(served.fingerprint, filled.fingerprint);
    assert.equal(served.computed, 0);
    assert.equal(served.cached, sentences.length);
    assert.equal(served.runtime, undefined, 'nothing computed, no runtime opened');
    const cache = openTeacherCache(tfjsCfg, model);
    const rows = new Float32Array(sentences.length * cache.dim);
    sentences.forEach((s, i) => cache.read(sentenceKey(s), rows, i * cache.dim));
    const tfjs = await tfjsTeacherEncode(model)(sentences, { batchSize: 64 });
    const d = maxAbsDiff(rows, tfjs.embeddings);
    assert.ok(d < 1e-5, `max |cached onnx row - tfjs| = ${d}`);
  });

  test('an unknown runtime names the valid ones', () => {
    assert.throws(() => config(tmpDir(), ['a'], 'torch'), /teacher\.runtime.*must be one of auto, onnx, tfjs; got "torch"/);
  });

  test('cleanup', () => disposeSentenceModel(model));
});
