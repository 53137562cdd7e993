import * as fs from 'fs';
import * as path from 'path';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { SentenceModel } from '../model/sentence_model';
import { buildBertOnnx } from './bert_onnx';
import { writeFileAtomic } from '../util/atomic_write';

/**
 * The model as ONNX for `--runtime onnx`, built once per model fingerprint
 * (weights, pooling, normalisation, max length, tokenizer) and reused.
 */
export function cachedOnnxFile(model: SentenceModel, root = path.join('.cache', 'onnx')): string {
  const { fingerprint } = teacherFingerprint(model);
  const file = path.join(root, `${fingerprint}.onnx`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(root, { recursive: true });
    writeFileAtomic(file, buildBertOnnx(model, { opset: 17 }).bytes);
  }
  return file;
}
