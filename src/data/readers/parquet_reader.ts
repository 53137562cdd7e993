import * as fs from 'fs';
import { parquetMetadataAsync, parquetReadObjects, AsyncBuffer, FileMetaData } from 'hyparquet';
import { DistillError } from '../../util/errors';
import { RawRow, ReaderOptions } from './raw_row';

/** Random-access view of a file for hyparquet, reading only the byte ranges it asks for. */
function fileBuffer(file: string): AsyncBuffer & { close(): void } {
  const fd = fs.openSync(file, 'r');
  const byteLength = fs.fstatSync(fd).size;
  return {
    byteLength,
    slice(start: number, end = byteLength) {
      const buf = Buffer.alloc(end - start);
      fs.readSync(fd, buf, 0, end - start, start);
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    },
    close: () => fs.closeSync(fd),
  };
}

/** Parquet via hyparquet, one row group at a time so memory holds one group, not the file. */
export async function* parquetReader(file: string, _opts: ReaderOptions): AsyncGenerator<RawRow> {
  let buf: ReturnType<typeof fileBuffer>;
  try {
    buf = fileBuffer(file);
  } catch (e) {
    throw new DistillError(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, file, { cause: e });
  }
  try {
    let metadata: FileMetaData;
    try {
      metadata = await parquetMetadataAsync(buf);
    } catch (e) {
      throw new DistillError(`not a readable Parquet file: corrupt or truncated footer (${(e as Error).message})`, file, { cause: e });
    }
    const header = metadata.schema.slice(1).map((s) => s.name);
    let start = 0;
    let row = 0;
    for (const group of metadata.row_groups) {
      const n = Number(group.num_rows);
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({ file: buf, metadata, rowStart: start, rowEnd: start + n });
      } catch (e) {
        throw new DistillError(`corrupt Parquet data in the row group starting at row ${start} (${(e as Error).message})`, file, { cause: e });
      }
      if (rows.length !== n) throw new DistillError(`row group at row ${start} holds ${rows.length} rows, footer says ${n}`, file);
      for (const r of rows) yield { values: r, header, row: row++ };
      start += n;
    }
  } finally {
    buf.close();
  }
}
