import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { DatasetRecord } from '../data/dataset_spec';
import { Chunk, writeChunk } from '../data/prepared_chunks';
import { PreparedManifest, readManifest, writeManifest } from '../data/prepared_manifest';
import { loadDataset, newStats, readDataset, recordTexts } from '../data/read_dataset';
import { ReaderRegistry } from '../data/readers/reader_registry';
import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { splitByRatio } from '../data/split_dataset';
import { PreparedSource, WINDOW_CHUNKS } from '../distill/prepared_source';
import { SentenceModel } from '../model/sentence_model';
import { KeyIndex, keyWords } from '../util/key_index';
import { TeacherCache } from '../teacher/teacher_cache';
import { TeacherEncode, teacherEmbeddings } from '../teacher/teacher_embeddings';
import { writeJsonAtomic } from '../util/atomic_write';
import { DistillError } from '../util/errors';
import { Progress } from '../util/progress';
import { quarantine } from '../util/quarantine';
import { preparedKey } from './prepared_key';
import { sharedTeacherEmbeddings } from './shared_teacher_embeddings';

/** Rows per chunk file: with 384-dim embeddings about 6.5 MB, read and checked in a few milliseconds. */
export const CHUNK_ROWS = 4096;
const DEV_FILE = 'dev.json';

export interface PreparedData {
  dir: string;
  manifest: PreparedManifest;
  source: PreparedSource;
  /** Records data.dev_ratio held out of train. */
  dev: DatasetRecord[];
  /** True when an existing prepared dataset was used as is (nothing read but its manifest). */
  reused: boolean;
}

export interface PrepareOptions {
  quiet?: boolean;
  readers?: ReaderRegistry;
  signal?: AbortSignal;
  /** Opens the teacher cache; only called when the dataset has to be built (or for held-out rows). */
  openCache: () => TeacherCache;
  /** What computes missing teacher rows (teacher.runtime); default the tfjs encoder. */
  encode?: TeacherEncode;
}

/**
 * The run's training rows as a prepared dataset: token ids for the student
 * and the teacher's embedding of every sentence, in chunk files under the
 * teacher's cache folder (or the run folder without a cache), keyed by what
 * they are made of (prepared_key.ts). When the folder for this key is
 * complete, nothing but its manifest is read: a warm start or a resume costs
 * the same whatever the dataset size.
 */
export async function prepareData(cfg: ExperimentConfig, teacher: SentenceModel, teacherFp: string, student: SentenceModel, runDir: string, opts: PrepareOptions): Promise<PreparedData> {
  const chunkRows = cfg.data.chunk_rows ?? CHUNK_ROWS;
  const key = await preparedKey(cfg, teacherFp, student, chunkRows);
  const root = cfg.teacher.cache ? path.join(TeacherCache.folder(cfg.teacher.cache_dir, teacherFp), 'prepared') : path.join(runDir, '.prepared');
  const dir = path.join(root, key ?? `unkeyed-${process.pid}-${Date.now()}`);
  const windowChunks = cfg.data.window_chunks ?? WINDOW_CHUNKS;
  const existing = key ? openExisting(dir, key) : null;
  if (existing) return { dir, manifest: existing, source: new PreparedSource(dir, existing, windowChunks), dev: readDev(dir), reused: true };
  const manifest = await buildPrepared(cfg, teacher, student, dir, key ?? 'unkeyed', chunkRows, opts);
  return { dir, manifest, source: new PreparedSource(dir, manifest, windowChunks), dev: readDev(dir), reused: false };
}

/** A complete folder's manifest; a broken one is moved aside (and rebuilt) rather than trusted. */
function openExisting(dir: string, key: string): PreparedManifest | null {
  try {
    return readManifest(dir, key);
  } catch (e) {
    if (!(e instanceof DistillError)) throw e;
    const aside = quarantine(dir);
    process.stderr.write(`warning: ${e.message.replace(/; delete the folder to rebuild it$/, '')}; moved the prepared dataset aside to ${path.basename(aside)}, rebuilding it\n`);
    return null;
  }
}

function readDev(dir: string): DatasetRecord[] {
  const file = path.join(dir, DEV_FILE);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : [];
}

/** Token ids cut to the student's max length, keeping the final [SEP]. */
function tokenize(model: SentenceModel, text: string): { ids: number[]; truncated: boolean } {
  const e = model.tokenizer.encode(text).ids;
  if (e.length <= model.maxSeqLength) return { ids: e, truncated: false };
  return { ids: [...e.slice(0, model.maxSeqLength - 1), e[e.length - 1]], truncated: true };
}

/** Rows waiting to be written, flattened to sentences; `first` marks a sentence's first occurrence in the dataset. */
interface Pending {
  texts: string[];
  first: boolean[];
}

/**
 * Streams the records (all of them in memory only for data.dev_ratio, whose
 * held-out share is a seeded shuffle of every record), keeping each distinct
 * sentence's 128-bit key only; every window's worth of rows is written as it
 * fills: teacher embeddings (cache first, computing what is missing),
 * student token ids, chunk files. The manifest goes last. Two processes
 * building the same key write the same bytes under the same names (each
 * write atomic), so they need no lock.
 */
async function buildPrepared(cfg: ExperimentConfig, teacher: SentenceModel, student: SentenceModel, dir: string, key: string, chunkRows: number, opts: PrepareOptions): Promise<PreparedManifest> {
  const spec = cfg.data.train;
  const stats = newStats();
  let records: AsyncIterable<DatasetRecord> | Iterable<DatasetRecord> = readDataset(spec, stats, opts.readers);
  let dev: DatasetRecord[] = [];
  if (cfg.data.dev_ratio) {
    const loaded = await loadDataset(spec, opts.readers);
    Object.assign(stats, loaded.stats);
    ({ train: records, dev } = splitByRatio(loaded.records, cfg.data.dev_ratio, cfg.seed));
  }
  const triplets = spec.kind === 'triplets';
  const groupSize = triplets ? 3 : 1;
  const cache = opts.openCache();
  const m: PreparedManifest = {
    version: 1, key, groupSize, dim: cache.dim, padId: student.tokenizer.padId, chunkRows, rows: 0, sentences: 0,
    truncated: 0, stats, teacherComputed: 0, teacherCached: 0, sample: [], chunks: [],
  };
  const seen = new KeyIndex();
  const words = new Uint32Array(4);
  let pending: Pending = { texts: [], first: [] };
  const progress = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
  const groupRows = chunkRows * WINDOW_CHUNKS;
  for await (const r of records) {
    for (const t of recordTexts(r).map(normalizeSentence)) {
      const k = keyWords(sentenceKey(t), words);
      const first = seen.findWords(k, 0) < 0;
      if (first) {
        seen.setWords(k, 0, 0, m.sentences++);
        if (m.sample.length < 1000) m.sample.push(t);
      }
      // A sentence row is a distinct sentence, in order of first appearance; a triplet row keeps its three.
      if (first || triplets) (pending.texts.push(t), pending.first.push(first));
    }
    // Whole chunks only (a pairs record adds two rows at once): the rest waits for the next group.
    const full = groupRows * groupSize;
    if (pending.texts.length >= full) {
      await writeGroup(cfg, teacher, student, cache, dir, { texts: pending.texts.slice(0, full), first: pending.first.slice(0, full) }, m, progress, opts);
      pending = { texts: pending.texts.slice(full), first: pending.first.slice(full) };
    }
  }
  if (pending.texts.length) await writeGroup(cfg, teacher, student, cache, dir, pending, m, progress, opts);
  if (m.rows === 0) throw new DistillError(`no records after reading ${stats.rows} rows (${stats.filtered} filtered, ${stats.badRows} bad, ${stats.duplicates} duplicates)`, spec.path);
  m.teacherCached = m.sentences - m.teacherComputed;
  if (dev.length) writeJsonAtomic(path.join(dir, DEV_FILE), dev);
  writeManifest(dir, m);
  return m;
}

/** One window's worth of rows: teacher rows for its sentences, then its chunk files. */
async function writeGroup(cfg: ExperimentConfig, teacher: SentenceModel, student: SentenceModel, cache: TeacherCache, dir: string, p: Pending, m: PreparedManifest, progress: Progress, opts: PrepareOptions): Promise<void> {
  const fill = cfg.teacher.cache ? sharedTeacherEmbeddings : teacherEmbeddings;
  const done = m.teacherComputed;
  const te = await fill(teacher, cache, p.texts, {
    batchSize: cfg.teacher.batch_size, signal: opts.signal, encode: opts.encode,
    onProgress: (d, n) => (progress.setTotal(done + n), progress.update(done + d)),
  });
  m.teacherComputed += te.computed;
  // Created only once the first teacher rows exist: a run that fails before leaves no folder behind.
  fs.mkdirSync(dir, { recursive: true });
  const per = m.chunkRows * m.groupSize;
  for (let s = 0; s < p.texts.length; s += per) {
    const n = Math.min(per, p.texts.length - s);
    const chunk = makeChunk(student, p, s, n, m.groupSize, te.embeddings.subarray(s * m.dim, (s + n) * m.dim), m);
    m.chunks.push(writeChunk(dir, m.chunks.length, chunk));
    m.rows += chunk.rows;
  }
}

/** Sentences s..s+n of `p` as a chunk: token ids (truncation counted once per distinct sentence) and teacher rows. */
function makeChunk(student: SentenceModel, p: Pending, s: number, n: number, groupSize: number, teacher: Float32Array, m: PreparedManifest): Chunk {
  const lengths = new Int32Array(n);
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = tokenize(student, p.texts[s + i]);
    if (t.truncated && p.first[s + i]) m.truncated++;
    lengths[i] = t.ids.length;
    for (const id of t.ids) ids.push(id);
  }
  return { rows: n / groupSize, lengths, ids: Int32Array.from(ids), teacher: teacher.slice() };
}
