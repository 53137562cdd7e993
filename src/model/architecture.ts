import { EncoderConfig } from './encoder_config';

/**
 * One encoder family (BERT, RoBERTa, ...): how its config.json and tensor
 * names map onto the shared encoder. Inside the framework every weight goes
 * by its canonical (BERT) name, so students, losses, checkpoints and export
 * work on any family; a family's names are used only at load and save, so
 * what we write loads in transformers as that family.
 */
export interface Architecture {
  /** Registry name, stored as EncoderConfig.family. */
  readonly name: string;
  /** config.json `model_type` values this family reads. */
  readonly modelTypes: readonly string[];
  parseConfig(raw: Record<string, unknown>, file: string): EncoderConfig;
  /** The config.json we write: the original keys plus the ones a student changed. */
  configToJson(cfg: EncoderConfig): Record<string, unknown>;
  /** A checkpoint tensor name to our canonical name; tensors the encoder does not use may map to anything unexpected. */
  toCanonical(name: string): string;
  /** Our canonical name back to this family's, for saving. */
  fromCanonical(name: string): string;
  /**
   * Canonical weights a fresh model of this family starts with fixed values
   * rather than random init (DistilBERT's sinusoidal position table).
   */
  fixedInit?(cfg: EncoderConfig): Map<string, Float32Array>;
}
