import * as fs from 'fs';
import { DistillError } from '../util/errors';

/** Only the parse is bad input; an OS error reading the file propagates as itself (the CLI names file and errno). */
export function readJson(file: string): Record<string, unknown> {
  const text = fs.readFileSync(file, 'utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DistillError(`invalid JSON (${(e as Error).message})`, file, { cause: e });
  }
  if (typeof v !== 'object' || v === null) throw new DistillError('invalid JSON (not a JSON object or array)', file);
  return v as Record<string, unknown>;
}
