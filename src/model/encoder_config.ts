import { DistillError } from '../util/errors';

/**
 * What the shared post-LN encoder (model/bert_encoder) needs to know about a
 * model, whatever family wrote its config.json. Each family's file in
 * model/architectures reads its own keys into this shape.
 */
export interface EncoderConfig {
  /** Registry name of the architecture family that reads and writes this model (model/architecture_registry). */
  family: string;
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** Rows of the token type table; 0 when the family has none (DistilBERT, MPNet). */
  typeVocabSize: number;
  layerNormEps: number;
  hiddenAct: string;
  padTokenId: number;
  /**
   * `sequential`: position i is row i (BERT, DistilBERT). `after_padding`: real
   * tokens count up from padding_idx + 1 and padding sits at padding_idx
   * (RoBERTa, XLM-R, MPNet), as transformers' create_position_ids_from_input_ids.
   */
  positionIds: 'sequential' | 'after_padding';
  /** MPNet: a bucketed relative position bias added to every layer's attention scores. */
  relativeAttention: { numBuckets: number; maxDistance: number } | null;
  /** Everything else in config.json, written back untouched when we save. */
  extra: Record<string, unknown>;
}

export const SUPPORTED_ACTIVATIONS = ['gelu', 'gelu_python', 'gelu_new', 'gelu_pytorch_tanh', 'relu'];

/** A positive integer key of config.json, or the fallback when absent. */
export function configInt(file: string, raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new DistillError(`key "${key}" must be a positive integer, got ${JSON.stringify(raw[key])}`, file);
  }
  return v;
}

export function configActivation(file: string, value: unknown): string {
  const act = String(value ?? 'gelu');
  if (!SUPPORTED_ACTIVATIONS.includes(act)) throw new DistillError(`unsupported activation "${act}"; supported: ${SUPPORTED_ACTIVATIONS.join(', ')}`, file);
  return act;
}

/** Checks shared by every family once its keys are read. */
export function checkEncoderConfig(cfg: EncoderConfig, file: string): EncoderConfig {
  if (cfg.hiddenSize % cfg.numAttentionHeads !== 0) {
    throw new DistillError(`hidden size ${cfg.hiddenSize} is not divisible by the ${cfg.numAttentionHeads} attention heads`, file);
  }
  if (maxTokens(cfg) < 2) throw new DistillError(`max_position_embeddings ${cfg.maxPositionEmbeddings} leaves no room for tokens`, file);
  return cfg;
}

/** The longest sequence the position table covers: RoBERTa-style ids start after padding_idx. */
export function maxTokens(cfg: EncoderConfig): number {
  return cfg.positionIds === 'after_padding' ? cfg.maxPositionEmbeddings - cfg.padTokenId - 1 : cfg.maxPositionEmbeddings;
}
