import * as path from 'path';
import { DistillError } from '../../util/errors';
import { arrowReader } from './arrow_reader';
import { delimitedReader } from './delimited_reader';
import { jsonlReader } from './jsonl_reader';
import { parquetReader } from './parquet_reader';
import { RowReader } from './raw_row';

/**
 * The formats a config's `format:` can name, and the file extensions that
 * imply each. An ordinary object its creator owns: user code adds a format
 * with `createReaderRegistry().register('xml', reader, ['.xml'])` and passes
 * the registry to loadConfig / parseConfig and trainRun.
 */
export class ReaderRegistry {
  private readonly readers = new Map<string, RowReader>();
  private readonly extensions = new Map<string, string>();

  register(format: string, reader: RowReader, extensions: string[] = []): this {
    if (!/^[a-z][a-z0-9_-]*$/.test(format)) throw new DistillError(`format name "${format}" must be lower case letters, digits, _ or -`, 'registerReader');
    if (this.readers.has(format)) throw new DistillError(`a reader for format "${format}" is already registered`, 'registerReader');
    this.readers.set(format, reader);
    for (const e of extensions) this.extensions.set(e.toLowerCase(), format);
    return this;
  }

  names(): string[] {
    return [...this.readers.keys()];
  }

  /** The format of `file`: the one given, else the one its extension implies. */
  formatOf(file: string, format?: string): string {
    if (format) {
      if (!this.readers.has(format)) throw new DistillError(`unknown format "${format}"; valid: ${this.names().join(', ')}`, 'format');
      return format;
    }
    const f = this.extensions.get(path.extname(file).toLowerCase());
    if (!f) throw new DistillError(`cannot tell the format from the extension; set format: to one of ${this.names().join(', ')}`, file);
    return f;
  }

  get(file: string, format?: string): RowReader {
    return this.readers.get(this.formatOf(file, format))!;
  }
}

/** A new registry holding the built-in formats; the caller owns it and may register more. */
export function createReaderRegistry(): ReaderRegistry {
  return new ReaderRegistry()
    .register('jsonl', jsonlReader, ['.jsonl', '.ndjson'])
    .register('csv', delimitedReader(',', '"'), ['.csv'])
    .register('tsv', delimitedReader('\t', null), ['.tsv', '.txt'])
    .register('arrow', arrowReader, ['.arrow', '.feather', '.ipc', '.arrows'])
    .register('parquet', parquetReader, ['.parquet']);
}
