/** Dataset kinds a config can declare, with the fields each record has. */
export const DATASET_KINDS = {
  sentences: { required: ['text'], optional: [] as string[] },
  pairs: { required: ['text_a', 'text_b', 'score'], optional: [] as string[] },
  triplets: { required: ['query', 'positive', 'negative'], optional: ['score_positive', 'score_negative'] },
} as const;
export type DatasetKind = keyof typeof DATASET_KINDS;

/** Where a field comes from: a column name, or a 0-based column index. */
export type ColumnRef = string | number;

export interface DatasetSpec {
  path: string;
  kind: DatasetKind;
  format?: string;
  /** Field -> column; defaults to the field's own name (e.g. `text`). */
  columns?: Record<string, ColumnRef>;
  header?: boolean;
  delimiter?: string;
  quote?: string | null;
  /** `error` (default) stops at the first bad row naming file, line and column; `skip` counts and reports. */
  on_bad_row?: 'error' | 'skip';
  dedupe?: boolean;
  min_chars?: number;
  max_chars?: number;
  /** Keep only rows whose column equals the value, e.g. {split: dev}. */
  where?: Record<string, string | number>;
  /** Stop after this many records (after filters). */
  limit?: number;
}

export interface SentenceRecord {
  text: string;
}
export interface PairRecord {
  text_a: string;
  text_b: string;
  score: number;
}
export interface TripletRecord {
  query: string;
  positive: string;
  negative: string;
  score_positive?: number;
  score_negative?: number;
}
export type DatasetRecord = SentenceRecord | PairRecord | TripletRecord;
