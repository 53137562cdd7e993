import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from '../util/errors';

export interface SentenceFile {
  sentences: string[];
  /** Blank lines skipped. */
  skippedBlank: number;
}

/** Decodes strictly: a stray byte is an error naming its line, never a silent U+FFFD. */
export function decodeUtf8(file: string, bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // Find the first bad line for the message.
    let start = 0;
    for (let line = 1; start <= bytes.length; line++) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, end));
      } catch {
        throw new DistillError(`line ${line} is not valid UTF-8; expected UTF-8 text (convert with iconv)`, file);
      }
      start = end + 1;
    }
    throw new DistillError('not valid UTF-8; expected UTF-8 text', file);
  }
}

/**
 * Reads sentences for `encode`: `.jsonl` (a string per line, or an object
 * with the given field), otherwise plain text with one sentence per line.
 */
export function readSentences(file: string, field = 'text'): SentenceFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new DistillError(`cannot read input (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file, { cause: e });
  }
  const text = decodeUtf8(file, bytes);
  const lines = text.split(/\r?\n/);
  const jsonl = path.extname(file).toLowerCase() === '.jsonl';
  const sentences: string[] = [];
  let skippedBlank = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') {
      if (i < lines.length - 1 || line !== '') skippedBlank++;
      return;
    }
    if (!jsonl) {
      sentences.push(line);
      return;
    }
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new DistillError(`line ${i + 1}: invalid JSON (${(e as Error).message})`, file, { cause: e });
    }
    const s = typeof v === 'string' ? v : (v as Record<string, unknown> | null)?.[field];
    if (typeof s !== 'string') {
      throw new DistillError(`line ${i + 1}: expected a JSON string or an object with a string "${field}" field`, file);
    }
    sentences.push(s);
  });
  if (sentences.length === 0) throw new DistillError('input has no sentences; expected one sentence per line (or JSONL)', file);
  return { sentences, skippedBlank };
}
