import * as fs from 'fs';
import { DistillError } from '../../util/errors';

/**
 * Streams a UTF-8 file line by line (without the newline), decoding strictly:
 * invalid bytes are an error naming the line rather than U+FFFD in the data.
 */
export async function* utf8Lines(file: string, chunkSize = 1 << 20): AsyncGenerator<{ text: string; line: number }> {
  let stream: fs.ReadStream;
  try {
    await fs.promises.access(file, fs.constants.R_OK);
    stream = fs.createReadStream(file, { highWaterMark: chunkSize });
  } catch (e) {
    throw new DistillError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file, { cause: e });
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  let line = 0;
  let first = true;
  const split = function* (text: string) {
    const parts = text.split('\n');
    rest = parts.pop()!;
    for (const p of parts) yield p.endsWith('\r') ? p.slice(0, -1) : p;
  };
  for await (const chunk of stream) {
    let text: string;
    try {
      text = decoder.decode(chunk as Buffer, { stream: true });
    } catch {
      stream.destroy();
      throw new DistillError(`line ${line + 1 + countNewlinesBeforeBadByte(chunk as Buffer)} is not valid UTF-8; expected UTF-8 text (convert with iconv)`, file);
    }
    if (first) {
      text = text.replace(/^\uFEFF/, '');
      first = false;
    }
    for (const p of split(rest + text)) yield { text: p, line: ++line };
  }
  try {
    rest += decoder.decode();
  } catch {
    throw new DistillError(`line ${line + 1} is not valid UTF-8 (truncated multi-byte character at end of file)`, file);
  }
  if (rest !== '') yield { text: rest.endsWith('\r') ? rest.slice(0, -1) : rest, line: ++line };
}

/** Newlines in the chunk before its first invalid UTF-8 sequence, to name the bad line. */
function countNewlinesBeforeBadByte(chunk: Buffer): number {
  let n = 0;
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl < 0 ? chunk.length : nl;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(chunk.subarray(start, end));
    } catch {
      return n;
    }
    if (nl < 0) return n;
    n++;
    start = nl + 1;
  }
}
