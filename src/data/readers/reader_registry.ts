import * as path from 'path';
import { DistillError } from '../../util/errors';
import { arrowReader } from './arrow_reader';
import { delimitedReader } from './delimited_reader';
import { jsonlReader } from './jsonl_reader';
import { parquetReader } from './parquet_reader';
import { RowReader } from './raw_row';

/** Every format a config's `format:` can name. */
export const READERS: Record<string, RowReader> = {
  jsonl: jsonlReader,
  csv: delimitedReader(',', '"'),
  tsv: delimitedReader('\t', null),
  arrow: arrowReader,
  parquet: parquetReader,
};

const EXTENSIONS: Record<string, string> = {
  '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv', '.tsv': 'tsv', '.txt': 'tsv',
  '.arrow': 'arrow', '.feather': 'arrow', '.ipc': 'arrow', '.arrows': 'arrow', '.parquet': 'parquet',
};

export function formatOf(file: string, format?: string): string {
  if (format) {
    if (!READERS[format]) throw new DistillError(`unknown format "${format}"; valid: ${Object.keys(READERS).join(', ')}`, 'format');
    return format;
  }
  const f = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!f) throw new DistillError(`cannot tell the format from the extension; set format: to one of ${Object.keys(READERS).join(', ')}`, file);
  return f;
}

export function getReader(file: string, format?: string): RowReader {
  return READERS[formatOf(file, format)];
}
