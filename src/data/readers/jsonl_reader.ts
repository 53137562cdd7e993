import { DistillError } from '../../util/errors';
import { RawRow, ReaderOptions } from './raw_row';
import { utf8Lines } from './utf8_lines';

/** JSON Lines: one object (named fields) or array (positional) per line; blank lines skipped. */
export async function* jsonlReader(file: string, _opts: ReaderOptions): AsyncGenerator<RawRow> {
  let row = 0;
  for await (const { text, line } of utf8Lines(file)) {
    if (text.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new DistillError(`line ${line}: invalid JSON (${(e as Error).message})`, file, { cause: e });
    }
    if (typeof v !== 'object' || v === null) throw new DistillError(`line ${line}: expected a JSON object or array, got ${JSON.stringify(v).slice(0, 40)}`, file);
    yield { values: v as RawRow['values'], line, row: row++ };
  }
}
