import * as fs from 'fs';
import { RecordBatchReader } from 'apache-arrow';
import { DistillError } from '../../util/errors';
import { RawRow, ReaderOptions } from './raw_row';

/**
 * Arrow IPC file or stream, one record batch at a time. A truncated file
 * fails with the row reached, never as silently shorter data.
 */
export async function* arrowReader(file: string, _opts: ReaderOptions): AsyncGenerator<RawRow> {
  checkFileMagic(file);
  let row = 0;
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(fs.createReadStream(file));
  } catch (e) {
    throw new DistillError(`not a readable Arrow IPC file or stream (${(e as Error).message})`, file, { cause: e });
  }
  try {
    for await (const batch of reader as AsyncIterable<import('apache-arrow').RecordBatch>) {
      const names = batch.schema.fields.map((f) => f.name);
      const cols = names.map((n) => batch.getChild(n)!);
      for (let i = 0; i < batch.numRows; i++) {
        const values: Record<string, unknown> = {};
        names.forEach((n, c) => (values[n] = cols[c].get(i)));
        yield { values, header: names, row: row++ };
      }
    }
  } catch (e) {
    if (e instanceof DistillError) throw e;
    throw new DistillError(`corrupt or truncated Arrow data after row ${row} (${(e as Error).message})`, file, { cause: e });
  }
}

/** An IPC *file* starts and ends with "ARROW1"; a missing end means the file was cut short. */
function checkFileMagic(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new DistillError(`cannot read (${(e as NodeJS.ErrnoException).code})`, file, { cause: e });
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(6);
    fs.readSync(fd, head, 0, 6, 0);
    if (head.toString('latin1') !== 'ARROW1') return; // stream format: no footer to check
    const tail = Buffer.alloc(6);
    fs.readSync(fd, tail, 0, 6, Math.max(0, size - 6));
    if (size < 12 || tail.toString('latin1') !== 'ARROW1') {
      throw new DistillError('truncated Arrow IPC file: the closing "ARROW1" footer magic is missing', file);
    }
  } finally {
    fs.closeSync(fd);
  }
}
