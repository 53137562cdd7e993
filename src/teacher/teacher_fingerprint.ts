import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SentenceModel } from '../model/sentence_model';

/**
 * Identity of a teacher's sentence embeddings: the weights' bytes, pooling,
 * normalisation, max length and tokenizer. Any change gives a new fingerprint,
 * so cached rows of another teacher or max length are never reused.
 */
export function teacherFingerprint(model: SentenceModel): { fingerprint: string; parts: Record<string, unknown> } {
  const weights = crypto.createHash('sha256');
  const fd = fs.openSync(path.join(model.dir, 'model.safetensors'), 'r');
  try {
    const buf = Buffer.alloc(1 << 22);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) weights.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  const parts = {
    weights_sha256: weights.digest('hex'),
    pooling: model.pooling.modes,
    normalize: model.normalize,
    max_seq_length: model.maxSeqLength,
    tokenizer: model.tokenizer.fingerprint(),
    layers: model.config.numHiddenLayers,
    hidden: model.config.hiddenSize,
  };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return { fingerprint, parts };
}
