import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { cachedOnnxFile } from '../../src/export/onnx_model_cache';
import { OnnxEncoder } from '../../src/export/onnx_encoder';
import { buildStudent } from '../../src/distill/build_student';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { TEACHER_DIR, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';
import { maxAbsDiff } from '../helpers/compare';

describe('ONNX model cache', () => {
  let teacher: SentenceModel;
  before(async () => {
    await selectBackend('tensorflow');
    teacher = loadSentenceModel(TEACHER_DIR);
  });

  test('a student built from the teacher (same dir) gets its own cached graph, which computes the student', async () => {
    const student = buildStudent(teacher, { layers: 3 });
    const root = tmpDir();
    const tFile = cachedOnnxFile(teacher, root);
    const sFile = cachedOnnxFile(student.model, root);
    assert.equal(student.model.dir, teacher.dir, 'the collision needs the shared dir');
    assert.notEqual(sFile, tFile);
    const sentences = stsbDevSentences().slice(0, 64);
    const enc = await OnnxEncoder.open(sFile);
    try {
      const onnx = await enc.encode(student.model.tokenizer, sentences, student.model.maxSeqLength, 16);
      const ours = await encodeSentences(student.model, sentences, { batchSize: 16 });
      assert.ok(maxAbsDiff(onnx, ours.embeddings) <= 1e-4, `student ONNX vs tfjs: ${maxAbsDiff(onnx, ours.embeddings)}`);
    } finally {
      await enc.release();
    }
    // A trained student (weights changed in place, nothing on disk) is a new graph too.
    const before = cachedOnnxFile(student.model, root);
    const v = student.variables.get('encoder.layer.0.output.dense.bias')!;
    v.assign(tf.tidy(() => v.add(0.01)));
    assert.notEqual(cachedOnnxFile(student.model, root), before);
    for (const x of student.variables.values()) x.dispose();
  });
});
