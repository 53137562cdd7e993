import { DistillError } from '../../util/errors';
import { Architecture } from '../architecture';
import { checkEncoderConfig, configActivation, configInt, EncoderConfig } from '../encoder_config';

/** Defaults and naming where a BERT-keyed family (BERT, RoBERTa) differs. */
export interface BertLikeDefaults {
  family: string;
  typeVocabSize: number;
  padTokenId: number;
  positionIds: EncoderConfig['positionIds'];
}

/** config.json keys BERT introduced and RoBERTa / XLM-R kept. */
export function parseBertLikeConfig(raw: Record<string, unknown>, file: string, d: BertLikeDefaults): EncoderConfig {
  const pe = raw.position_embedding_type ?? 'absolute';
  if (pe !== 'absolute') throw new DistillError(`unsupported position_embedding_type ${JSON.stringify(pe)}; supported: absolute`, file);
  return checkEncoderConfig({
    family: d.family,
    modelType: String(raw.model_type),
    vocabSize: configInt(file, raw, 'vocab_size'),
    hiddenSize: configInt(file, raw, 'hidden_size'),
    numHiddenLayers: configInt(file, raw, 'num_hidden_layers'),
    numAttentionHeads: configInt(file, raw, 'num_attention_heads'),
    intermediateSize: configInt(file, raw, 'intermediate_size'),
    maxPositionEmbeddings: configInt(file, raw, 'max_position_embeddings', 512),
    typeVocabSize: configInt(file, raw, 'type_vocab_size', d.typeVocabSize),
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    hiddenAct: configActivation(file, raw.hidden_act),
    padTokenId: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : d.padTokenId,
    positionIds: d.positionIds,
    relativeAttention: null,
    extra: raw,
  }, file);
}

export function bertLikeConfigToJson(cfg: EncoderConfig, architectures: string[]): Record<string, unknown> {
  return {
    ...cfg.extra,
    architectures,
    model_type: cfg.modelType,
    vocab_size: cfg.vocabSize,
    hidden_size: cfg.hiddenSize,
    num_hidden_layers: cfg.numHiddenLayers,
    num_attention_heads: cfg.numAttentionHeads,
    intermediate_size: cfg.intermediateSize,
    max_position_embeddings: cfg.maxPositionEmbeddings,
    type_vocab_size: cfg.typeVocabSize,
    layer_norm_eps: cfg.layerNormEps,
    hidden_act: cfg.hiddenAct,
    pad_token_id: cfg.padTokenId,
  };
}

/** Strips a task head's prefix and maps TF-era gamma/beta LayerNorm names onto weight/bias. */
export function stripPrefix(name: string, prefixes: string[]): string {
  const re = new RegExp(`^(${[...prefixes, 'model', '0\\.auto_model'].join('|')})\\.`);
  return name.replace(re, '').replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** BERT: our canonical names are its own. */
export const bertArchitecture: Architecture = {
  name: 'bert',
  modelTypes: ['bert'],
  parseConfig: (raw, file) => parseBertLikeConfig(raw, file, { family: 'bert', typeVocabSize: 2, padTokenId: 0, positionIds: 'sequential' }),
  configToJson: (cfg) => bertLikeConfigToJson(cfg, ['BertModel']),
  toCanonical: (name) => stripPrefix(name, ['bert']),
  fromCanonical: (name) => name,
};
