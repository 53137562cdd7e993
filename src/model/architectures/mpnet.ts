import { DistillError } from '../../util/errors';
import { Architecture } from '../architecture';
import { checkEncoderConfig, configActivation, configInt, EncoderConfig } from '../encoder_config';
import { stripPrefix } from './bert';
import { layerFromCanonical, layerToCanonical, LayerRenames } from './layer_renames';

/**
 * transformers' MPNetEncoder.compute_position_bias buckets with its defaults
 * (32 buckets, max distance 128) whatever config.json says; the config's
 * relative_attention_num_buckets only sizes the table, so any other value
 * either crashes there (fewer rows) or leaves rows unused (more).
 */
const BUCKETS = 32;
const MAX_DISTANCE = 128;

/** MPNet attention tensor names against ours, per layer; the FFN already has BERT's names. */
const LAYER_RENAMES: LayerRenames = {
  familyStack: 'encoder',
  table: [
    ['attention.attn.q.', 'attention.self.query.'],
    ['attention.attn.k.', 'attention.self.key.'],
    ['attention.attn.v.', 'attention.self.value.'],
    ['attention.attn.o.', 'attention.output.dense.'],
    ['attention.LayerNorm.', 'attention.output.LayerNorm.'],
  ],
};

function parseMpnetConfig(raw: Record<string, unknown>, file: string): EncoderConfig {
  const buckets = configInt(file, raw, 'relative_attention_num_buckets', BUCKETS);
  if (buckets !== BUCKETS) {
    throw new DistillError(`key "relative_attention_num_buckets" must be ${BUCKETS} (transformers' MPNet always buckets relative positions into ${BUCKETS}), got ${buckets}`, file);
  }
  return checkEncoderConfig({
    family: 'mpnet',
    modelType: 'mpnet',
    vocabSize: configInt(file, raw, 'vocab_size'),
    hiddenSize: configInt(file, raw, 'hidden_size'),
    numHiddenLayers: configInt(file, raw, 'num_hidden_layers'),
    numAttentionHeads: configInt(file, raw, 'num_attention_heads'),
    intermediateSize: configInt(file, raw, 'intermediate_size'),
    maxPositionEmbeddings: configInt(file, raw, 'max_position_embeddings', 512),
    typeVocabSize: 0,
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    hiddenAct: configActivation(file, raw.hidden_act),
    // MPNetEmbeddings fixes padding_idx at 1 for positions, whatever pad_token_id says.
    padTokenId: 1,
    positionIds: 'after_padding',
    relativeAttention: { numBuckets: BUCKETS, maxDistance: MAX_DISTANCE },
    extra: raw,
  }, file);
}

/**
 * MPNet (all-mpnet-base-v2): BERT's post-LN layers under other names
 * (attention.attn.{q,k,v,o}, attention.LayerNorm), no token types, RoBERTa's
 * positions after padding_idx, and one bucketed relative position bias
 * table shared by every layer (model/relative_position).
 */
export const mpnetArchitecture: Architecture = {
  name: 'mpnet',
  modelTypes: ['mpnet'],
  parseConfig: parseMpnetConfig,
  configToJson: (cfg) => ({
    ...cfg.extra,
    architectures: ['MPNetModel'],
    model_type: 'mpnet',
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numHiddenLayers,
    num_attention_heads: cfg.numAttentionHeads,
    intermediate_size: cfg.intermediateSize,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    relative_attention_num_buckets: cfg.relativeAttention?.numBuckets ?? BUCKETS,
    layer_norm_eps: cfg.layerNormEps,
    hidden_act: cfg.hiddenAct,
    pad_token_id: cfg.extra.pad_token_id ?? 1,
  }),
  toCanonical: (name) => layerToCanonical(stripPrefix(name, ['mpnet']), LAYER_RENAMES),
  fromCanonical: (name) => layerFromCanonical(name, LAYER_RENAMES),
};
