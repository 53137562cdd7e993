import * as crypto from 'crypto';
import * as fs from 'fs';
import { DistillError } from '../util/errors';
import { BertNormalizerOptions, normalizeBert, preTokenizeBert } from './bert_normalizer';
import { SentenceTokenizer } from './sentence_tokenizer';

const SPECIALS = ['[CLS]', '[SEP]', '[PAD]', '[UNK]', '[MASK]'];
const MAX_CHARS_PER_WORD = 100;

/**
 * A BERT tokenizer from `vocab.txt` alone (folders without tokenizer.json):
 * basic tokenizer then greedy longest-match-first WordPiece.
 */
export class WordPieceTokenizer implements SentenceTokenizer {
  readonly source = 'vocab.txt';
  readonly padId: number;
  readonly vocabSize: number;
  private readonly vocab: Map<string, number>;
  private readonly cls: number;
  private readonly sep: number;
  private readonly unk: number;
  private readonly specialSplit: RegExp;
  private readonly cache = new Map<string, number[]>();

  constructor(private readonly vocabText: string, private readonly opts: BertNormalizerOptions, file = 'vocab.txt') {
    this.vocab = new Map();
    vocabText.split('\n').forEach((line, i) => {
      const tok = line.replace(/\r$/, '');
      if (tok !== '' && !this.vocab.has(tok)) this.vocab.set(tok, i);
    });
    const id = (t: string) => {
      const v = this.vocab.get(t);
      if (v === undefined) throw new DistillError(`vocabulary has no "${t}" token; expected a BERT WordPiece vocab`, file);
      return v;
    };
    this.cls = id('[CLS]');
    this.sep = id('[SEP]');
    this.unk = id('[UNK]');
    this.padId = id('[PAD]');
    this.vocabSize = this.vocab.size;
    // Special tokens typed in the text stay whole, as Hugging Face's added-token matching does.
    this.specialSplit = new RegExp(`(${SPECIALS.filter((s) => this.vocab.has(s)).map((s) => s.replace(/[[\]]/g, '\\$&')).join('|')})`);
  }

  static fromFile(file: string, opts: BertNormalizerOptions): WordPieceTokenizer {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new DistillError(`cannot read vocabulary (${(e as Error).message})`, file, { cause: e });
    }
    return new WordPieceTokenizer(text, opts, file);
  }

  private wordPiece(word: string): number[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    const chars = Array.from(word);
    let ids: number[] = [];
    if (chars.length > MAX_CHARS_PER_WORD) {
      ids = [this.unk];
    } else {
      let start = 0;
      while (start < chars.length) {
        let end = chars.length;
        let found: number | undefined;
        while (start < end) {
          const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
          found = this.vocab.get(sub);
          if (found !== undefined) break;
          end--;
        }
        if (found === undefined) {
          ids = [this.unk];
          break;
        }
        ids.push(found);
        start = end;
      }
    }
    if (this.cache.size < 200_000) this.cache.set(word, ids);
    return ids;
  }

  encode(text: string): { ids: number[]; typeIds: number[] } {
    const ids = [this.cls];
    for (const part of text.split(this.specialSplit)) {
      if (!part) continue;
      const special = this.vocab.get(part);
      if (special !== undefined && SPECIALS.includes(part)) {
        ids.push(special);
        continue;
      }
      for (const w of preTokenizeBert(normalizeBert(part, this.opts))) ids.push(...this.wordPiece(w));
    }
    ids.push(this.sep);
    return { ids, typeIds: new Array(ids.length).fill(0) };
  }

  fingerprint(): string {
    return crypto.createHash('sha256').update(this.vocabText).update(JSON.stringify(this.opts)).digest('hex').slice(0, 16);
  }
}
