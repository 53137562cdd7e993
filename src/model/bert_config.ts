import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { readJson } from './read_json';

/** The subset of a Hugging Face BERT `config.json` the encoder needs. */
export interface BertConfig {
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: string;
  padTokenId: number;
  /** Everything else in config.json, written back untouched when we save. */
  extra: Record<string, unknown>;
}

/** model_type values whose architecture is exactly BERT's (post-LN, absolute positions). */
export const SUPPORTED_MODEL_TYPES = ['bert'];
export const SUPPORTED_ACTIVATIONS = ['gelu', 'gelu_python', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

function int(file: string, raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new DistillError(`key "${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`, file);
  }
  return v;
}

export function parseBertConfig(raw: Record<string, unknown>, file = 'config.json'): BertConfig {
  const modelType = raw.model_type;
  if (typeof modelType !== 'string' || !SUPPORTED_MODEL_TYPES.includes(modelType)) {
    throw new DistillError(`unsupported model_type ${JSON.stringify(modelType)}; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`, file);
  }
  const pe = raw.position_embedding_type ?? 'absolute';
  if (pe !== 'absolute') {
    throw new DistillError(`unsupported position_embedding_type ${JSON.stringify(pe)}; supported: absolute`, file);
  }
  const hiddenAct = String(raw.hidden_act ?? 'gelu');
  if (!SUPPORTED_ACTIVATIONS.includes(hiddenAct)) {
    throw new DistillError(`unsupported hidden_act "${hiddenAct}"; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`, file);
  }
  const cfg: BertConfig = {
    modelType,
    vocabSize: int(file, raw, 'vocab_size'),
    hiddenSize: int(file, raw, 'hidden_size'),
    numHiddenLayers: int(file, raw, 'num_hidden_layers'),
    numAttentionHeads: int(file, raw, 'num_attention_heads'),
    intermediateSize: int(file, raw, 'intermediate_size'),
    maxPositionEmbeddings: int(file, raw, 'max_position_embeddings', 512),
    typeVocabSize: int(file, raw, 'type_vocab_size', 2),
    layerNormEps: typeof raw.layer_norm_eps === 'number' ? raw.layer_norm_eps : 1e-12,
    hiddenAct,
    padTokenId: typeof raw.pad_token_id === 'number' ? raw.pad_token_id : 0,
    extra: raw,
  };
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new DistillError(`hidden_size ${cfg.hiddenSize} is not divisible by num_attention_heads ${cfg.numAttentionHeads}`, file);
  }
  return cfg;
}

export function readBertConfig(dir: string): BertConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new DistillError('missing config.json; expected a Hugging Face / sentence-transformers model folder', dir);
  }
  return parseBertConfig(readJson(file), file);
}

/** The config.json we write: the original keys plus the ones a student changed. */
export function bertConfigToJson(cfg: BertConfig): Record<string, unknown> {
  return {
    ...cfg.extra,
    architectures: ['BertModel'],
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
