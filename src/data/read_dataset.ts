import * as crypto from 'crypto';
import { DistillError } from '../util/errors';
import { KeyIndex, keyWords } from '../util/key_index';
import { DATASET_KINDS, DatasetRecord, DatasetSpec } from './dataset_spec';
import { createReaderRegistry, ReaderRegistry } from './readers/reader_registry';
import { RawRow } from './readers/raw_row';
import { normalizeSentence } from './sentence_key';

export interface ReadStats {
  rows: number;
  records: number;
  badRows: number;
  filtered: number;
  duplicates: number;
  /** First few bad-row messages, for the summary. */
  badExamples: string[];
}

const TEXT_FIELDS = new Set(['text', 'text_a', 'text_b', 'query', 'positive', 'negative']);

function where(file: string, raw: RawRow): string {
  return raw.line !== undefined ? `${file}: line ${raw.line}` : `${file}: row ${raw.row}`;
}

function pick(raw: RawRow, ref: string | number): unknown {
  if (Array.isArray(raw.values)) {
    if (typeof ref === 'number') return raw.values[ref];
    const i = raw.header?.indexOf(ref) ?? -1;
    return i >= 0 ? raw.values[i] : undefined;
  }
  if (typeof ref === 'number') {
    const name = raw.header?.[ref] ?? Object.keys(raw.values)[ref];
    return name === undefined ? undefined : raw.values[name];
  }
  return raw.values[ref];
}

/** Maps one raw row to a record of the spec's kind, or throws naming the field and column. */
function toRecord(spec: DatasetSpec, raw: RawRow): DatasetRecord {
  const kind = DATASET_KINDS[spec.kind];
  if (Array.isArray(raw.values) && raw.width !== undefined && raw.values.length > raw.width) {
    // Reading it would silently shift or drop a text: a delimiter inside an unquoted field is the usual cause.
    throw new DistillError(`row has ${raw.values.length} fields, ${raw.header ? 'the header has' : 'the first row has'} ${raw.width} (a delimiter inside a text? quote the field or use another format)`, where(spec.path, raw));
  }
  const rec: Record<string, string | number> = {};
  for (const field of [...kind.required, ...kind.optional]) {
    const ref = spec.columns?.[field] ?? field;
    const v = pick(raw, ref);
    const col = typeof ref === 'number' ? `column ${ref}` : `column "${ref}"`;
    if (v === undefined || v === null || v === '') {
      if ((kind.optional as readonly string[]).includes(field)) continue;
      const names = raw.header ?? (Array.isArray(raw.values) ? undefined : Object.keys(raw.values));
      if (typeof ref === 'string' && names && !names.includes(ref)) {
        throw new DistillError(`no column named "${ref}" for field "${field}"; columns: ${names.join(', ')} (map it with columns: {${field}: NAME})`, where(spec.path, raw));
      }
      const have = Array.isArray(raw.values)
        ? `${raw.values.length} columns${raw.header ? `, header has ${raw.header.length}` : ''}`
        : `fields ${JSON.stringify(Object.keys(raw.values))}`;
      throw new DistillError(`${col} (field "${field}") is missing or empty; row has ${have}`, where(spec.path, raw));
    }
    if (TEXT_FIELDS.has(field)) {
      if (typeof v !== 'string') throw new DistillError(`${col} (field "${field}") must be text, got ${typeof v}`, where(spec.path, raw));
      rec[field] = v;
    } else {
      const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw new DistillError(`${col} (field "${field}") must be a number, got ${JSON.stringify(v)}`, where(spec.path, raw));
      rec[field] = n;
    }
  }
  return rec as unknown as DatasetRecord;
}

function texts(r: DatasetRecord): string[] {
  if ('text' in r) return [r.text];
  if ('text_a' in r) return [r.text_a, r.text_b];
  return [r.query, r.positive, r.negative];
}

/**
 * Streams a dataset: reads rows, applies `where`, maps columns to the kind's
 * fields, validates, filters by length and de-duplicates. Bad rows stop the
 * read with file, line and column, or are counted when on_bad_row is skip.
 */
export async function* readDataset(spec: DatasetSpec, stats: ReadStats = newStats(), readers: ReaderRegistry = createReaderRegistry()): AsyncGenerator<DatasetRecord> {
  const reader = readers.get(spec.path, spec.format);
  // 128-bit keys in typed arrays: a Set of the texts themselves costs ~1.4 KB a row here (each key keeps its read buffer alive).
  const seen = spec.dedupe ? new KeyIndex() : undefined;
  const words = new Uint32Array(4);
  for await (const raw of reader(spec.path, { header: spec.header, delimiter: spec.delimiter, quote: spec.quote })) {
    stats.rows++;
    if (spec.where && !Object.entries(spec.where).every(([k, v]) => String(pick(raw, k)) === String(v))) {
      stats.filtered++;
      continue;
    }
    let rec: DatasetRecord;
    try {
      rec = toRecord(spec, raw);
    } catch (e) {
      if (spec.on_bad_row !== 'skip' || !(e instanceof DistillError)) throw e;
      stats.badRows++;
      if (stats.badExamples.length < 5) stats.badExamples.push(e.message);
      continue;
    }
    const t = texts(rec);
    if (t.some((s) => (spec.min_chars !== undefined && s.length < spec.min_chars) || (spec.max_chars !== undefined && s.length > spec.max_chars))) {
      stats.filtered++;
      continue;
    }
    if (seen) {
      const key = keyWords(crypto.createHash('sha256').update(t.map(normalizeSentence).join('\u0000')).digest('hex').slice(0, 32), words);
      if (seen.findWords(key, 0) >= 0) {
        stats.duplicates++;
        continue;
      }
      seen.setWords(key, 0, 0, 0);
    }
    stats.records++;
    yield rec;
    if (spec.limit !== undefined && stats.records >= spec.limit) return;
  }
}

export function newStats(): ReadStats {
  return { rows: 0, records: 0, badRows: 0, filtered: 0, duplicates: 0, badExamples: [] };
}

export async function loadDataset(spec: DatasetSpec, readers?: ReaderRegistry): Promise<{ records: DatasetRecord[]; stats: ReadStats }> {
  const stats = newStats();
  const records: DatasetRecord[] = [];
  for await (const r of readDataset(spec, stats, readers)) records.push(r);
  if (records.length === 0) throw new DistillError(`no records after reading ${stats.rows} rows (${stats.filtered} filtered, ${stats.badRows} bad, ${stats.duplicates} duplicates)`, spec.path);
  return { records, stats };
}

export function recordTexts(r: DatasetRecord): string[] {
  return texts(r);
}
