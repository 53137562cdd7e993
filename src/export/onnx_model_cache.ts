import * as fs from 'fs';
import * as path from 'path';
import { modelFingerprint } from '../model/model_fingerprint';
import { SentenceModel } from '../model/sentence_model';
import { buildBertOnnx } from './bert_onnx';
import { writeFileAtomic } from '../util/atomic_write';

/**
 * The model as ONNX for `--runtime onnx`, built once per model fingerprint
 * (the weights it holds, pooling, normalisation, max length, tokenizer,
 * config) and reused. Keyed by what the model holds, not by `model.dir`,
 * which a student built from a teacher shares with it.
 */
export function cachedOnnxFile(model: SentenceModel, root = path.join('.cache', 'onnx')): string {
  const { fingerprint } = modelFingerprint(model);
  const file = path.join(root, `${fingerprint}.onnx`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(root, { recursive: true });
    writeFileAtomic(file, buildBertOnnx(model, { opset: 17 }).bytes);
  }
  return file;
}
