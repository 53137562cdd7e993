/** One record as a reader yields it, before it is mapped to a dataset kind. */
export interface RawRow {
  /** Positional values (CSV/TSV) or named fields (JSONL, Arrow, Parquet, CSV with header). */
  values: unknown[] | Record<string, unknown>;
  /** Column names when the source has them, in order. */
  header?: string[];
  /** CSV/TSV: the field count every row must have (the header's, or a headerless file's first row's); more is a bad row. */
  width?: number;
  /** For error messages: 1-based line for text formats, 0-based row index for columnar ones. */
  line?: number;
  row: number;
}

export interface ReaderOptions {
  /** CSV/TSV: first line is a header (default true). */
  header?: boolean;
  /** CSV/TSV field delimiter (default ',' for csv, '\t' for tsv). */
  delimiter?: string;
  /** CSV/TSV quote character, or null for none (default '"' for csv, none for tsv). */
  quote?: string | null;
}

/** A streaming reader: rows come in file order, a chunk at a time, never the whole file in memory. */
export type RowReader = (file: string, opts: ReaderOptions) => AsyncIterable<RawRow>;
