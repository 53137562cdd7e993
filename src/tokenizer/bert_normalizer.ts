/**
 * BERT's text normalisation and pre-tokenisation, matching the Rust
 * `tokenizers` BertNormalizer + BertPreTokenizer that Hugging Face uses for
 * BERT vocabularies: clean control characters, space out CJK ideographs,
 * strip accents, lower-case per character, split on whitespace and punctuation.
 */
export interface BertNormalizerOptions {
  lowercase: boolean;
  /** null follows `lowercase`, as in transformers. */
  stripAccents: boolean | null;
  handleChineseChars: boolean;
  cleanText: boolean;
}

const CONTROL = /^[\p{Cc}\p{Cf}\p{Cn}\p{Co}]$/u;
const WHITESPACE = /^\p{White_Space}$/u;
const PUNCT = /^\p{P}$/u;
const MN = /\p{Mn}/gu;

function isControl(c: string): boolean {
  return c !== '\t' && c !== '\n' && c !== '\r' && CONTROL.test(c);
}

export function isWhitespace(c: string): boolean {
  return c === '\t' || c === '\n' || c === '\r' || WHITESPACE.test(c);
}

export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) || (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export function isPunctuation(c: string): boolean {
  const cp = c.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return PUNCT.test(c);
}

export function normalizeBert(text: string, o: BertNormalizerOptions): string {
  let out = '';
  for (const c of text) {
    const cp = c.codePointAt(0)!;
    if (o.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControl(c)) continue;
      if (isWhitespace(c)) {
        out += ' ';
        continue;
      }
    }
    out += o.handleChineseChars && isChineseChar(cp) ? ` ${c} ` : c;
  }
  if (o.stripAccents ?? o.lowercase) out = out.normalize('NFD').replace(MN, '');
  // Per character, so 'Σ' maps to 'σ' everywhere as in Rust, not to final-sigma 'ς'.
  if (o.lowercase) out = Array.from(out, (c) => c.toLowerCase()).join('');
  return out;
}

/** Splits on whitespace and isolates every punctuation character. */
export function preTokenizeBert(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const c of text) {
    if (isWhitespace(c)) {
      if (cur) words.push(cur);
      cur = '';
    } else if (isPunctuation(c)) {
      if (cur) words.push(cur);
      words.push(c);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (cur) words.push(cur);
  return words;
}
