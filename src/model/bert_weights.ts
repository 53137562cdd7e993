import * as tf from '../backend/tf';
import { Architecture } from './architecture';
import { EncoderConfig } from './encoder_config';
import { readSafetensors, writeSafetensors, RawTensor } from './safetensors';
import { DistillError } from '../util/errors';

/**
 * BERT parameters keyed by their Hugging Face names (no `bert.` prefix).
 * Linear weights are held as [in, out] so the forward pass multiplies without
 * a transpose; PyTorch stores them [out, in], so load and save transpose once.
 */
export type BertWeights = Map<string, tf.Tensor>;

export function layerPrefix(i: number): string {
  return `encoder.layer.${i}.`;
}

/** MPNet's relative position bias table [buckets, heads], shared by every layer. */
export const RELATIVE_BIAS = 'encoder.relative_attention_bias.weight';

const LINEARS = ['attention.self.query', 'attention.self.key', 'attention.self.value', 'attention.output.dense', 'intermediate.dense', 'output.dense'];
const LAYER_NORMS = ['attention.output.LayerNorm', 'output.LayerNorm'];

/** Every parameter a BERT encoder of this config needs, with its shape in our [in, out] layout. */
export function expectedBertShapes(cfg: EncoderConfig): Map<string, number[]> {
  const H = cfg.hiddenSize;
  const I = cfg.intermediateSize;
  const m = new Map<string, number[]>([
    ['embeddings.word_embeddings.weight', [cfg.vocabSize, H]],
    ['embeddings.position_embeddings.weight', [cfg.maxPositionEmbeddings, H]],
    ['embeddings.LayerNorm.weight', [H]],
    ['embeddings.LayerNorm.bias', [H]],
  ]);
  if (cfg.typeVocabSize > 0) m.set('embeddings.token_type_embeddings.weight', [cfg.typeVocabSize, H]);
  if (cfg.relativeAttention) m.set(RELATIVE_BIAS, [cfg.relativeAttention.numBuckets, cfg.numAttentionHeads]);
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = layerPrefix(l);
    for (const lin of LINEARS) {
      const [inn, out] = lin === 'intermediate.dense' ? [H, I] : lin === 'output.dense' ? [I, H] : [H, H];
      m.set(`${p}${lin}.weight`, [inn, out]);
      m.set(`${p}${lin}.bias`, [out]);
    }
    for (const ln of LAYER_NORMS) {
      m.set(`${p}${ln}.weight`, [H]);
      m.set(`${p}${ln}.bias`, [H]);
    }
  }
  return m;
}

export function isLinearWeight(name: string): boolean {
  return name.endsWith('.weight') && (LINEARS.some((l) => name.endsWith(`${l}.weight`)) || name === 'pooler.dense.weight');
}

/** A float32 [r, c] matrix as [c, r], on the CPU (an exact copy, no device op). */
export function transpose2d(t: RawTensor): RawTensor {
  const [r, c] = t.shape;
  const src = t.data as Float32Array;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = src[i * c + j];
  return { dtype: 'float32', shape: [c, r], data: out };
}

/**
 * Loads and checks encoder weights (canonical names) against the config: a missing parameter or a
 * shape that disagrees with config.json is an error naming the tensor.
 * Unused extras (pooler, MLM heads, position_ids) are ignored, except the
 * pooler, which is kept so a saved model round-trips.
 */
export function loadBertWeights(file: string, cfg: EncoderConfig, arch: Architecture): BertWeights {
  const raw = readSafetensors(file);
  const byName = new Map<string, RawTensor>();
  for (const [name, t] of raw) byName.set(arch.toCanonical(name), t);
  const expected = expectedBertShapes(cfg);
  if (byName.has('pooler.dense.weight') && byName.has('pooler.dense.bias')) {
    expected.set('pooler.dense.weight', [cfg.hiddenSize, cfg.hiddenSize]);
    expected.set('pooler.dense.bias', [cfg.hiddenSize]);
  }
  const weights: BertWeights = new Map();
  try {
    for (const [name, shape] of expected) {
      let t = byName.get(name);
      // Errors name the tensor as the family's checkpoint does, not by our canonical name.
      const shown = arch.fromCanonical(name);
      if (!t) throw new DistillError(`missing tensor "${shown}" (expected shape ${JSON.stringify(shape)} for config.json)`, file);
      if (t.dtype !== 'float32') throw new DistillError(`tensor "${shown}" is ${t.dtype}, expected a float type`, file);
      if (isLinearWeight(name) && t.shape.length === 2) t = transpose2d(t);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        const has = isLinearWeight(name) ? [...t.shape].reverse() : t.shape;
        const want = isLinearWeight(name) ? [...shape].reverse() : shape;
        throw new DistillError(`shape mismatch for tensor "${shown}": file has ${JSON.stringify(has)}, config.json implies ${JSON.stringify(want)}`, file);
      }
      weights.set(name, tf.tensor(t.data as Float32Array, shape, 'float32'));
    }
  } catch (e) {
    disposeWeights(weights);
    throw e;
  }
  return weights;
}

/** Writes weights in the Hugging Face layout ([out, in] linears, the family's names) that transformers loads. */
export function saveBertWeights(file: string, weights: BertWeights, arch: Architecture): void {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of weights) {
    let data = t.dataSync() as Float32Array;
    let shape = t.shape;
    if (isLinearWeight(name) && shape.length === 2) {
      const tr = transpose2d({ dtype: 'float32', shape, data });
      data = tr.data as Float32Array;
      shape = tr.shape;
    }
    out.set(arch.fromCanonical(name), { shape, data: Float32Array.from(data) });
  }
  writeSafetensors(file, out);
}

export function disposeWeights(w: BertWeights): void {
  for (const t of w.values()) t.dispose();
  w.clear();
}
