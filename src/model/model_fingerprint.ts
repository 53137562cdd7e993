import * as crypto from 'crypto';
import { BertWeights } from './bert_weights';
import { SentenceModel } from './sentence_model';

/**
 * SHA-256 of the weights a model holds in memory: for each tensor, in sorted
 * name order, its name, dtype, shape and float32 bytes. Hashing the tensors
 * rather than a file on disk matters because a model's `dir` says where it
 * was loaded from, not what it holds: a student built from a teacher keeps
 * the teacher's `dir`, and a model being trained changes without its file.
 */
export function weightsDigest(weights: BertWeights): string {
  const h = crypto.createHash('sha256');
  for (const name of [...weights.keys()].sort()) {
    const t = weights.get(name)!;
    h.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    const v = t.dataSync();
    const f32 = v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
    h.update(new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength));
  }
  return h.digest('hex');
}

/**
 * Identity of the sentence embeddings a model produces: its weights, the
 * encoder's shape and activation, pooling, normalisation, max length and
 * tokenizer. Any change gives a new fingerprint, so nothing cached for one
 * model (teacher rows, an exported ONNX graph) is served for another.
 * `config.extra` is left out: it is the rest of config.json (names,
 * versions), which does not change what the encoder computes.
 */
export function modelFingerprint(model: SentenceModel): { fingerprint: string; parts: Record<string, unknown> } {
  const { extra: _extra, ...config } = model.config;
  const parts = {
    weights_sha256: weightsDigest(model.weights),
    pooling: model.pooling,
    // Only when present, so fingerprints (and teacher caches) of models without Dense stay as they were.
    ...(model.dense.length ? { dense: model.dense } : {}),
    normalize: model.normalize,
    max_seq_length: model.maxSeqLength,
    tokenizer: model.tokenizer.fingerprint(),
    config,
  };
  const fingerprint = crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
  return { fingerprint, parts };
}
