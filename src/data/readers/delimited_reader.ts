import { DistillError } from '../../util/errors';
import { RawRow, ReaderOptions } from './raw_row';
import { utf8Lines } from './utf8_lines';

/**
 * CSV / TSV, streamed. With a quote character, fields may hold delimiters,
 * doubled quotes and newlines (RFC 4180); without one (the TSV default, as
 * the STS-B files are written), every tab splits and quotes are text.
 */
export function delimitedReader(defaultDelimiter: string, defaultQuote: string | null) {
  return async function* (file: string, opts: ReaderOptions): AsyncGenerator<RawRow> {
    const delim = opts.delimiter ?? defaultDelimiter;
    const quote = opts.quote === undefined ? defaultQuote : opts.quote;
    const hasHeader = opts.header ?? true;
    let header: string[] | undefined;
    let width: number | undefined;
    let row = 0;
    let fields: string[] = [];
    let field = '';
    let inQuotes = false;
    let startLine = 0;
    for await (const { text, line } of utf8Lines(file)) {
      if (!inQuotes) {
        startLine = line;
        if (text === '') continue;
      } else {
        field += '\n';
      }
      if (quote === null) {
        fields = text.split(delim);
      } else {
        for (let i = 0; i < text.length; i++) {
          const c = text[i];
          if (inQuotes) {
            if (c === quote) {
              if (text[i + 1] === quote) {
                field += quote;
                i++;
              } else inQuotes = false;
            } else field += c;
          } else if (c === quote && field === '') inQuotes = true;
          else if (c === delim) {
            fields.push(field);
            field = '';
          } else field += c;
        }
        if (inQuotes) continue;
        fields.push(field);
        field = '';
      }
      width ??= fields.length;
      if (hasHeader && !header) {
        header = fields.map((f) => f.trim());
      } else {
        yield { values: fields, header, width, line: startLine, row: row++ };
      }
      fields = [];
    }
    if (inQuotes) throw new DistillError(`line ${startLine}: unterminated quoted field (file ends inside quotes)`, file);
  };
}
