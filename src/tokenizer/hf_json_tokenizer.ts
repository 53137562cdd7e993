import * as crypto from 'crypto';
import * as fs from 'fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { DistillError } from '../util/errors';
import { countPrecompiled, countWhitespaceSplit, useExactNormalizers, useExactPreTokenizers } from './exact_components';
import { SentenceTokenizer } from './sentence_tokenizer';
import { checkTokenizerComponents } from './tokenizer_json_components';

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DistillError(`invalid JSON (${(e as Error).message})`, file, { cause: e });
  }
}

/** The pad token's id as transformers finds it: tokenizer_config.json's pad_token, else tokenizer.json's padding. */
function findPadId(vocab: Map<string, number>, config: Record<string, unknown>, padFromJson: number | undefined): number {
  const padToken = config.pad_token;
  const named = typeof padToken === 'string' ? padToken : (padToken as { content?: string } | undefined)?.content;
  // mpnet-base has both <pad> (its pad, 1) and BERT's [PAD] (4) in the vocab: the config decides.
  if (named !== undefined && vocab.has(named)) return vocab.get(named)!;
  return padFromJson ?? vocab.get('[PAD]') ?? vocab.get('<pad>') ?? 0;
}

/**
 * A `tokenizer.json` run by Hugging Face's own JavaScript port of `tokenizers`,
 * with the components it only approximates swapped for exact ones.
 */
export class HfJsonTokenizer implements SentenceTokenizer {
  readonly source = 'tokenizer.json';
  readonly padId: number;
  readonly vocabSize: number;
  private readonly tok: Tokenizer;
  private readonly hash: string;
  private readonly lowercases: boolean;

  constructor(file: string, configFile?: string) {
    const text = fs.readFileSync(file, 'utf8');
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new DistillError(`invalid tokenizer JSON (${(e as Error).message})`, file, { cause: e });
    }
    const config = configFile && fs.existsSync(configFile) ? readJson(configFile) : {};
    checkTokenizerComponents(json, file);
    // Truncation and padding in tokenizer.json are the exporter's leftovers; we truncate to the model's max length ourselves.
    const padFromJson = (json.padding as { pad_id?: number } | null)?.pad_id;
    json.truncation = null;
    json.padding = null;
    json.decoder = null;
    try {
      this.tok = new Tokenizer(json, config);
    } catch (e) {
      throw new DistillError(`unsupported or corrupt tokenizer (${(e as Error).message})`, file, { cause: e });
    }
    const swapped = this.useExactComponents(json, file);
    const norm = json.normalizer as { type?: string; lowercase?: boolean } | null;
    this.lowercases = norm?.type === 'BertNormalizer' && norm.lowercase !== false;
    const vocab = this.tok.get_vocab(true);
    this.vocabSize = vocab.size;
    this.padId = findPadId(vocab, config, padFromJson);
    // Ids from a swapped component differ from what earlier versions cached under the plain file hash.
    this.hash = crypto.createHash('sha256').update(text).update(swapped ? '\0exact-components-v1' : '').digest('hex').slice(0, 16);
  }

  private useExactComponents(json: Record<string, unknown>, file: string): number {
    const port = this.tok as unknown as { normalizer: Parameters<typeof useExactNormalizers>[0]; pre_tokenizer: Parameters<typeof useExactPreTokenizers>[0] };
    const pre = json.pre_tokenizer as Parameters<typeof useExactPreTokenizers>[1];
    const swapped = [useExactNormalizers(port.normalizer, file), useExactPreTokenizers(port.pre_tokenizer, pre)];
    const expected = [countPrecompiled(json.normalizer), countWhitespaceSplit(pre)];
    // A bug, not bad input: the port's internals moved and an approximate component would run.
    if (swapped.join() !== expected.join()) throw new Error(`@huggingface/tokenizers layout changed: swapped [${swapped}] of [${expected}] components in ${file}`);
    return swapped[0] + swapped[1];
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
