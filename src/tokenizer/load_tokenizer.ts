import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';
import { HfJsonTokenizer } from './hf_json_tokenizer';
import { SentenceTokenizer } from './sentence_tokenizer';
import { WordPieceTokenizer } from './wordpiece_tokenizer';

function readJson(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) return {};
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DistillError(`invalid JSON (${(e as Error).message})`, file, { cause: e });
  }
}

/**
 * Loads a model folder's tokenizer: `tokenizer.json` when present (what
 * transformers' fast tokenizer uses), else `vocab.txt` with the casing and
 * accent options from `tokenizer_config.json`.
 */
export function loadTokenizer(dir: string): SentenceTokenizer {
  const json = path.join(dir, 'tokenizer.json');
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  if (fs.existsSync(json)) return new HfJsonTokenizer(json, cfgFile);
  const vocab = path.join(dir, 'vocab.txt');
  if (fs.existsSync(vocab)) {
    const cfg = readJson(cfgFile);
    const lowercase = cfg.do_lower_case !== false;
    return WordPieceTokenizer.fromFile(vocab, {
      lowercase,
      stripAccents: typeof cfg.strip_accents === 'boolean' ? cfg.strip_accents : null,
      handleChineseChars: cfg.tokenize_chinese_chars !== false,
      cleanText: true,
    });
  }
  throw new DistillError('no tokenizer: expected tokenizer.json or vocab.txt', dir);
}
