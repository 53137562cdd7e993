import { SentenceModel } from '../model/sentence_model';
import { EncoderConfig } from '../model/encoder_config';
import { layerPrefix, RELATIVE_BIAS } from '../model/bert_weights';
import { DenseActivation, denseWeightName } from '../model/dense';
import { headDim } from '../model/sentence_head';
import { DistillError } from '../util/errors';
import { DataType, OnnxGraph } from './onnx_graph';
import { quantizePerChannel } from './quantize_int8';
import { relativeBiasOnnx } from './relative_bias_onnx';

/**
 * The graph's input names, in order (the model card lists them; tests compare
 * with the graph): token_type_ids only where the model has more than one
 * type, as transformers' own ONNX exports do, so runtimes that feed what the
 * graph declares (transformers.js, optimum) work unchanged.
 */
export function onnxInputs(cfg: EncoderConfig): string[] {
  return cfg.typeVocabSize > 1 ? ['input_ids', 'attention_mask', 'token_type_ids'] : ['input_ids', 'attention_mask'];
}
export const ONNX_OUTPUTS = ['token_embeddings', 'sentence_embedding', 'last_hidden_state'] as const;

/** Opsets we emit: LayerNormalization needs 17; ReduceMax's axes move to an input at 18. */
export const SUPPORTED_OPSETS = [17, 18, 19, 20, 21];

export interface OnnxExportOptions {
  opset: number;
  quantize?: 'int8';
}

/**
 * The whole sentence encoder as one ONNX graph: embeddings, every layer,
 * pooling, Dense modules and (when the model has it) L2 normalisation. Inputs
 * are int64 [batch, sequence] with dynamic axes; outputs `token_embeddings`,
 * `sentence_embedding` and `last_hidden_state` (= token_embeddings). With
 * int8, every dense and embedding matrix is stored as per-channel int8 with a
 * DequantizeLinear in front (QDQ weights).
 */
export function buildBertOnnx(model: SentenceModel, opts: OnnxExportOptions): { bytes: Uint8Array; weightBytes: number } {
  if (!SUPPORTED_OPSETS.includes(opts.opset)) throw new DistillError(`unsupported opset ${opts.opset}; supported: ${SUPPORTED_OPSETS.join(', ')}`, '--opset');
  const cfg = model.config;
  const H = cfg.hiddenSize;
  const nh = cfg.numAttentionHeads;
  const dh = H / nh;
  const g = new OnnxGraph();
  const weight = (name: string): { data: Float32Array; shape: number[] } => {
    const t = model.weights.get(name);
    if (!t) throw new DistillError(`weight "${name}" missing`, model.dir);
    return { data: t.dataSync() as Float32Array, shape: t.shape };
  };
  /** A matrix initializer, int8 + DequantizeLinear when quantizing (channel axis: columns for dense, rows for embedding tables). */
  const matrix = (name: string, axis: 0 | 1): string => {
    const { data, shape } = weight(name);
    if (opts.quantize !== 'int8' || shape.length !== 2) return g.initializer(name, shape, data);
    const { q, scale } = quantizePerChannel(data, shape[0], shape[1], axis);
    const qn = g.initializer(`${name}_int8`, shape, q, DataType.INT8);
    const sn = g.initializer(`${name}_scale`, [scale.length], scale);
    const zp = g.initializer(`${name}_zero_point`, [scale.length], new Int8Array(scale.length), DataType.INT8);
    return g.op('DequantizeLinear', [qn, sn, zp], { axis });
  };
  const vec = (name: string) => g.initializer(name, weight(name).shape, weight(name).data);
  const dense = (x: string, name: string) => g.op('Add', [g.op('MatMul', [x, matrix(`${name}.weight`, 1)]), vec(`${name}.bias`)]);
  const layerNorm = (x: string, name: string) => g.op('LayerNormalization', [x, vec(`${name}.weight`), vec(`${name}.bias`)], { axis: -1, epsilon: { float: cfg.layerNormEps } });
  const gelu = (x: string): string => {
    if (cfg.hiddenAct === 'relu') return g.op('Relu', [x]);
    if (cfg.hiddenAct === 'gelu' || cfg.hiddenAct === 'gelu_python') {
      const erf = g.op('Erf', [g.op('Mul', [x, g.scalar('inv_sqrt2', Math.SQRT1_2)])]);
      return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.scalar('one', 1)])]), g.scalar('half', 0.5)]);
    }
    // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
    const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.scalar('c', 0.044715)])]), g.scalar('k', Math.sqrt(2 / Math.PI))]);
    return g.op('Mul', [g.op('Mul', [x, g.op('Add', [g.op('Tanh', [inner]), g.scalar('one', 1)])]), g.scalar('half', 0.5)]);
  };

  const ids = g.input('input_ids', DataType.INT64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch', 'sequence']);
  const types = onnxInputs(cfg).includes('token_type_ids') ? g.input('token_type_ids', DataType.INT64, ['batch', 'sequence']) : undefined;
  // Embeddings: word + position (+ token type), then LayerNorm.
  const posTable = matrix('embeddings.position_embeddings.weight', 0);
  let pos: string;
  if (cfg.positionIds === 'sequential') {
    const seqLen = g.op('Slice', [g.op('Shape', [ids]), g.ints('one', [1]), g.ints('two', [2])]);
    pos = g.op('Slice', [posTable, g.ints('zero', [0]), seqLen, g.ints('axis0', [0])]);
  } else {
    // RoBERTa: cumsum(mask) * mask + padding_idx, as the tfjs encoder (model/bert_encoder positionsAfterPadding).
    const axis = g.initializer(g.fresh('axis1_scalar'), [], BigInt64Array.of(1n), DataType.INT64);
    const padIdx = g.initializer(g.fresh('pad_idx'), [], BigInt64Array.of(BigInt(cfg.padTokenId)), DataType.INT64);
    pos = g.op('Gather', [posTable, g.op('Add', [g.op('Mul', [g.op('CumSum', [mask, axis]), mask]), padIdx])]);
  }
  let sum = g.op('Add', [g.op('Gather', [matrix('embeddings.word_embeddings.weight', 0), ids]), pos]);
  if (cfg.typeVocabSize > 0) {
    const typeTable = matrix('embeddings.token_type_embeddings.weight', 0);
    sum = g.op('Add', [sum, types ? g.op('Gather', [typeTable, types]) : g.op('Slice', [typeTable, g.ints('zero', [0]), g.ints('one', [1]), g.ints('axis0', [0])])]);
  }
  let h = layerNorm(sum, 'embeddings.LayerNorm');
  // Additive attention mask [B, 1, 1, L]: 0 for tokens, -1e9 for padding.
  const maskF = g.op('Cast', [mask], { to: DataType.FLOAT });
  const maskBias = g.op('Unsqueeze', [g.op('Mul', [g.op('Sub', [g.scalar('one', 1), maskF]), g.scalar('neg', -1e9)]), g.ints('axes', [1, 2])]);
  // MPNet: plus the relative position bias every layer shares, [B, heads, L, L] once.
  const bias = cfg.relativeAttention ? g.op('Add', [maskBias, relativeBiasOnnx(g, cfg, vec(RELATIVE_BIAS), ids)]) : maskBias;
  const headShape = g.ints('heads', [0, 0, nh, dh]);
  const mergeShape = g.ints('merge', [0, 0, H]);
  const scale = g.scalar('scale', 1 / Math.sqrt(dh));
  for (let l = 0; l < cfg.numHiddenLayers; l++) {
    const p = layerPrefix(l);
    const split = (name: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [dense(h, `${p}attention.self.${name}`), headShape])], { perm });
    const q = split('query', [0, 2, 1, 3]);
    const k = split('key', [0, 2, 3, 1]);
    const v = split('value', [0, 2, 1, 3]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), bias]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const ctx = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), mergeShape]);
    const h1 = layerNorm(g.op('Add', [dense(ctx, `${p}attention.output.dense`), h]), `${p}attention.output.LayerNorm`);
    const ffn = dense(gelu(dense(h1, `${p}intermediate.dense`)), `${p}output.dense`);
    h = layerNorm(g.op('Add', [ffn, h1]), `${p}output.LayerNorm`);
  }
  g.op('Identity', [h], {}, 'token_embeddings');
  // The same tensor under the name transformers.js and sentence-transformers' ONNX backend (optimum) read.
  g.op('Identity', [h], {}, 'last_hidden_state');
  // Pooling, as sentence-transformers' Pooling module, then Normalize.
  const m3 = g.op('Unsqueeze', [maskF, g.ints('axis2', [2])]);
  const axis1 = g.ints('axis1', [1]);
  const summed = () => g.op('ReduceSum', [g.op('Mul', [h, m3]), axis1], { keepdims: 0 });
  const count = () => g.op('Max', [g.op('ReduceSum', [m3, axis1], { keepdims: 0 }), g.scalar('eps', 1e-9)]);
  const pooled = model.pooling.modes.map((mode) => {
    switch (mode) {
      case 'cls':
        return g.op('Gather', [h, g.initializer(g.fresh('idx0'), [], BigInt64Array.of(0n), DataType.INT64)], { axis: 1 });
      case 'mean':
        return g.op('Div', [summed(), count()]);
      case 'mean_sqrt_len':
        return g.op('Div', [summed(), g.op('Sqrt', [count()])]);
      case 'max': {
        const masked = g.op('Add', [h, g.op('Mul', [g.op('Sub', [g.scalar('one', 1), m3]), g.scalar('neg', -1e9)])]);
        return opts.opset >= 18 ? g.op('ReduceMax', [masked, axis1], { keepdims: 0 }) : g.op('ReduceMax', [masked], { axes: [1], keepdims: 0 });
      }
    }
  });
  let sentence = pooled.length === 1 ? pooled[0] : g.op('Concat', pooled, { axis: 1 });
  model.dense.forEach((d, i) => {
    let y = g.op('MatMul', [sentence, matrix(denseWeightName(i, 'weight'), 1)]);
    if (d.bias) y = g.op('Add', [y, vec(denseWeightName(i, 'bias'))]);
    sentence = denseActivation(g, d.activation, y);
  });
  if (model.normalize) {
    const norm = g.op('Sqrt', [g.op('ReduceSum', [g.op('Mul', [sentence, sentence]), axis1], { keepdims: 1 })]);
    sentence = g.op('Div', [sentence, g.op('Max', [norm, g.scalar('eps', 1e-12)])]);
  }
  g.op('Identity', [sentence], {}, 'sentence_embedding');
  g.output('token_embeddings', DataType.FLOAT, ['batch', 'sequence', H]);
  g.output('sentence_embedding', DataType.FLOAT, ['batch', headDim(model)]);
  g.output('last_hidden_state', DataType.FLOAT, ['batch', 'sequence', H]);
  const denseDoc = model.dense.map((d) => ` + Dense ${d.inFeatures}->${d.outFeatures} ${d.activation}`).join('');
  const doc = `${cfg.modelType} sentence encoder (${cfg.numHiddenLayers} layers, ${H} wide) with ${model.pooling.modes.join('+')} pooling${denseDoc}${model.normalize ? ' and L2 normalisation' : ''}${opts.quantize ? ', int8 weights' : ''}`;
  return { bytes: g.toBytes(opts.opset, doc), weightBytes: g.initializerBytes() };
}

function denseActivation(g: OnnxGraph, act: DenseActivation, x: string): string {
  switch (act) {
    case 'Identity':
      return x;
    case 'Tanh':
      return g.op('Tanh', [x]);
    case 'ReLU':
      return g.op('Relu', [x]);
    case 'Sigmoid':
      return g.op('Sigmoid', [x]);
    case 'GELU': {
      const erf = g.op('Erf', [g.op('Mul', [x, g.scalar('inv_sqrt2', Math.SQRT1_2)])]);
      return g.op('Mul', [g.op('Mul', [x, g.op('Add', [erf, g.scalar('one', 1)])]), g.scalar('half', 0.5)]);
    }
  }
}
