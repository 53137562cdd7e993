import * as fs from 'fs';
import * as path from 'path';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { runPython } from './env';

/** reference.json of py/make_tiny_bert.py: the ids it ran and PyTorch's outputs for them. */
export interface TinyReference {
  input_ids: number[][];
  attention_mask: number[][];
  /** Zeros for families without token types. */
  token_type_ids: number[][];
  hidden_states: number[][][][];
  attentions: number[][][][][];
  mean: number[][];
  cls: number[][];
  max: number[][];
  mean_normalized: number[][];
  /** transformers' pooler_output; null for families without a pooler (DistilBERT). */
  pooler: number[][] | null;
}

export interface TinyModel {
  dir: string;
  model: SentenceModel;
  ref: TinyReference;
}

/** A tiny random encoder built by transformers (py/make_tiny_bert.py args) in `dir`, loaded, with its reference. */
export function makeTinyModel(dir: string, args: string[]): TinyModel {
  runPython('make_tiny_bert.py', ['--out', dir, ...args]);
  return { dir, model: loadSentenceModel(dir), ref: JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8')) };
}
