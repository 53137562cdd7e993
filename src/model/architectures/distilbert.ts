import { Architecture } from '../architecture';
import { checkEncoderConfig, configActivation, configInt, EncoderConfig } from '../encoder_config';
import { stripPrefix } from './bert';
import { layerFromCanonical, layerToCanonical, LayerRenames } from './layer_renames';

/** Per-layer tensor names: DistilBERT's (under `transformer.`) against our canonical ones (under `encoder.`). */
const LAYER_RENAMES: LayerRenames = {
  familyStack: 'transformer',
  table: [
    ['attention.q_lin.', 'attention.self.query.'],
    ['attention.k_lin.', 'attention.self.key.'],
    ['attention.v_lin.', 'attention.self.value.'],
    ['attention.out_lin.', 'attention.output.dense.'],
    ['sa_layer_norm.', 'attention.output.LayerNorm.'],
    ['ffn.lin1.', 'intermediate.dense.'],
    ['ffn.lin2.', 'output.dense.'],
    ['output_layer_norm.', 'output.LayerNorm.'],
  ],
};

/** BERT-keyed aliases DistilBertConfig's attribute_map maps onto its own keys; written, they would override ours. */
const ALIASES = ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size'];

/** Whether a DistilBERT config.json asks for fixed sinusoidal positions (the table is in the checkpoint either way). */
export function isSinusoidal(cfg: EncoderConfig): boolean {
  return cfg.family === 'distilbert' && cfg.extra.sinusoidal_pos_embds === true;
}

/**
 * transformers' create_sinusoidal_embeddings: row p, column j is sin (even j) or
 * cos (odd j) of p / 10000^(2 floor(j/2) / dim), computed in float64 as numpy does.
 */
export function sinusoidalTable(nPos: number, dim: number): Float32Array {
  const out = new Float32Array(nPos * dim);
  for (let p = 0; p < nPos; p++) {
    for (let j = 0; j < dim; j++) {
      const angle = p / Math.pow(10000, (2 * Math.floor(j / 2)) / dim);
      out[p * dim + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return out;
}

function parseDistilBertConfig(raw: Record<string, unknown>, file: string): EncoderConfig {
  return checkEncoderConfig({
    family: 'distilbert',
    modelType: 'distilbert',
    vocabSize: configInt(file, raw, 'vocab_size'),
    hiddenSize: configInt(file, raw, 'dim', 768),
    numHiddenLayers: configInt(file, raw, 'n_layers', 6),
    numAttentionHeads: configInt(file, raw, 'n_heads', 12),
    intermediateSize: configInt(file, raw, 'hidden_dim', 3072),
    maxPositionEmbeddings: configInt(file, raw, 'max_position_embeddings', 512),
    typeVocabSize: 0,
    // transformers hard-codes eps 1e-12 in every DistilBERT LayerNorm; config.json has no key for it.
    layerNormEps: 1e-12,
    hiddenAct: configActivation(file, raw.activation),
    padTokenId: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : 0,
    positionIds: 'sequential',
    relativeAttention: null,
    extra: raw,
  }, file);
}

function distilBertConfigToJson(cfg: EncoderConfig): Record<string, unknown> {
  const rest = Object.fromEntries(Object.entries(cfg.extra).filter(([k]) => !ALIASES.includes(k)));
  return {
    ...rest,
    architectures: ['DistilBertModel'],
    model_type: 'distilbert',
    vocab_size: cfg.vocabSize,
    dim: cfg.hiddenSize,
    n_layers: cfg.numHiddenLayers,
    n_heads: cfg.numAttentionHeads,
    hidden_dim: cfg.intermediateSize,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    activation: cfg.hiddenAct,
    pad_token_id: cfg.padTokenId,
    sinusoidal_pos_embds: isSinusoidal(cfg),
  };
}

/**
 * DistilBERT: BERT's post-LN layers without token types or pooler, under its
 * own config keys (dim, hidden_dim, n_layers, n_heads) and tensor names
 * (transformer.layer.N.attention.q_lin, sa_layer_norm, ffn.lin1, ...). Task
 * heads (DistilBertForMaskedLM, ...) prefix the encoder with `distilbert.`.
 */
export const distilBertArchitecture: Architecture = {
  name: 'distilbert',
  modelTypes: ['distilbert'],
  parseConfig: parseDistilBertConfig,
  configToJson: distilBertConfigToJson,
  toCanonical: (name) => layerToCanonical(stripPrefix(name, ['distilbert']), LAYER_RENAMES),
  fromCanonical: (name) => layerFromCanonical(name, LAYER_RENAMES),
  fixedInit: (cfg) => new Map(isSinusoidal(cfg) ? [['embeddings.position_embeddings.weight', sinusoidalTable(cfg.maxPositionEmbeddings, cfg.hiddenSize)]] : []),
};
