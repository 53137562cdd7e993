import * as crypto from 'crypto';
import * as fs from 'fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { DistillError } from '../util/errors';
import { SentenceTokenizer } from './sentence_tokenizer';

/** A `tokenizer.json` run by Hugging Face's own JavaScript port of `tokenizers`. */
export class HfJsonTokenizer implements SentenceTokenizer {
  readonly source = 'tokenizer.json';
  readonly padId: number;
  readonly vocabSize: number;
  private readonly tok: Tokenizer;
  private readonly hash: string;
  private readonly lowercases: boolean;

  constructor(file: string, configFile?: string) {
    let json: Record<string, unknown>;
    const text = fs.readFileSync(file, 'utf8');
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new DistillError(`invalid tokenizer JSON (${(e as Error).message})`, file, { cause: e });
    }
    let config: Record<string, unknown> = {};
    if (configFile && fs.existsSync(configFile)) {
      const configText = fs.readFileSync(configFile, 'utf8');
      try {
        config = JSON.parse(configText);
      } catch (e) {
        throw new DistillError(`invalid JSON (${(e as Error).message})`, configFile, { cause: e });
      }
    }
    // Truncation and padding in tokenizer.json are the exporter's leftovers; we truncate to the model's max length ourselves.
    const padFromJson = (json.padding as { pad_id?: number } | null)?.pad_id;
    json.truncation = null;
    json.padding = null;
    try {
      this.tok = new Tokenizer(json, config);
    } catch (e) {
      throw new DistillError(`unsupported or corrupt tokenizer (${(e as Error).message})`, file, { cause: e });
    }
    const norm = json.normalizer as { type?: string; lowercase?: boolean } | null;
    this.lowercases = norm?.type === 'BertNormalizer' && norm.lowercase !== false;
    const vocab = this.tok.get_vocab(true);
    this.vocabSize = vocab.size;
    const pad = padFromJson ?? vocab.get('[PAD]') ?? vocab.get('<pad>') ?? 0;
    this.padId = pad;
    this.hash = crypto.createHash('sha256').update(text).digest('hex').slice(0, 16);
  }

  encode(text: string): { ids: number[]; typeIds: number[] } {
    // JS toLowerCase turns a word-final 'Σ' into 'ς'; Rust tokenizers lower-cases per character ('σ').
    const input = this.lowercases ? text.replace(/Σ/g, 'σ') : text;
    const e = this.tok.encode(input, { return_token_type_ids: true });
    return { ids: e.ids, typeIds: e.token_type_ids ?? new Array(e.ids.length).fill(0) };
  }

  fingerprint(): string {
    return this.hash;
  }
}
