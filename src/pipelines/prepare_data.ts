import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { DatasetRecord } from '../data/dataset_spec';
import { Chunk, writeChunk } from '../data/prepared_chunks';
import { PreparedManifest, readManifest, writeManifest } from '../data/prepared_manifest';
import { loadDataset, recordTexts } from '../data/read_dataset';
import { ReaderRegistry } from '../data/readers/reader_registry';
import { normalizeSentence, sentenceKey } from '../data/sentence_key';
import { splitByRatio } from '../data/split_dataset';
import { PreparedSource, WINDOW_CHUNKS } from '../distill/prepared_source';
import { SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { teacherEmbeddings } from '../teacher/teacher_embeddings';
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

/** Distinct sentences of the records, and each training row as indices into them. */
function indexRows(records: DatasetRecord[], triplets: boolean): { texts: string[]; rows: number[][] } {
  const index = new Map<string, number>();
  const rows: number[][] = [];
  for (const r of records) {
    const ids = recordTexts(r).map(normalizeSentence).map((t) => {
      let i = index.get(t);
      if (i === undefined) {
        i = index.size;
        index.set(t, i);
        // A sentence row is a distinct sentence, in order of first appearance.
        if (!triplets) rows.push([i]);
      }
      return i;
    });
    if (triplets) rows.push(ids);
  }
  return { texts: [...index.keys()], rows };
}

/** Token ids cut to the student's max length, keeping the final [SEP]. */
function tokenize(model: SentenceModel, text: string): { ids: number[]; truncated: boolean } {
  const e = model.tokenizer.encode(text).ids;
  if (e.length <= model.maxSeqLength) return { ids: e, truncated: false };
  return { ids: [...e.slice(0, model.maxSeqLength - 1), e[e.length - 1]], truncated: true };
}

/**
 * Reads and splits the records, then per group of a window's chunks: teacher
 * embeddings (cache first, computing what is missing), student token ids,
 * chunk files. The manifest goes last. Two processes building the same key
 * write the same bytes under the same names (each write atomic), so they
 * need no lock.
 */
async function buildPrepared(cfg: ExperimentConfig, teacher: SentenceModel, student: SentenceModel, dir: string, key: string, chunkRows: number, opts: PrepareOptions): Promise<PreparedManifest> {
  const { records: all, stats } = await loadDataset(cfg.data.train, opts.readers);
  const split = cfg.data.dev_ratio ? splitByRatio(all, cfg.data.dev_ratio, cfg.seed) : { train: all, dev: [] };
  const triplets = cfg.data.train.kind === 'triplets';
  const groupSize = triplets ? 3 : 1;
  const { texts, rows } = indexRows(split.train, triplets);
  const cache = opts.openCache();
  const fill = cfg.teacher.cache ? sharedTeacherEmbeddings : teacherEmbeddings;
  const missing = texts.reduce((n, t) => n + (cache.has(sentenceKey(t)) ? 0 : 1), 0);
  const progress = new Progress('teacher', missing, 'sent', process.stderr, opts.quiet);
  const m: PreparedManifest = {
    version: 1, key, groupSize, dim: cache.dim, padId: student.tokenizer.padId, chunkRows, rows: rows.length, sentences: texts.length,
    truncated: 0, stats, teacherComputed: 0, teacherCached: 0, sample: texts.slice(0, 1000), chunks: [],
  };
  const truncatedSeen = new Uint8Array(texts.length);
  const group = chunkRows * WINDOW_CHUNKS;
  for (let g = 0; g < rows.length; g += group) {
    const groupRows = rows.slice(g, g + group);
    const sentences = groupRows.flat();
    const done = m.teacherComputed;
    const te = await fill(teacher, cache, sentences.map((i) => texts[i]), { batchSize: cfg.teacher.batch_size, signal: opts.signal, onProgress: (d) => progress.update(done + d) });
    m.teacherComputed += te.computed;
    // Created only once the first teacher rows exist: a run that fails before leaves no folder behind.
    fs.mkdirSync(dir, { recursive: true });
    for (let c = 0; c < groupRows.length; c += chunkRows) {
      const chunk = makeChunk(student, texts, sentences.slice(c * groupSize, (c + chunkRows) * groupSize), groupSize, te.embeddings.subarray(c * groupSize * cache.dim), cache.dim, truncatedSeen);
      m.chunks.push(writeChunk(dir, m.chunks.length, chunk));
    }
  }
  m.truncated = truncatedSeen.reduce((a, b) => a + b, 0);
  m.teacherCached = texts.length - m.teacherComputed;
  if (split.dev.length) writeJsonAtomic(path.join(dir, DEV_FILE), split.dev);
  writeManifest(dir, m);
  return m;
}

/** One chunk's rows: each sentence's token ids (truncation counted once per distinct sentence) and teacher row. */
function makeChunk(student: SentenceModel, texts: string[], sentences: number[], groupSize: number, teacher: Float32Array, dim: number, truncatedSeen: Uint8Array): Chunk {
  const lengths = new Int32Array(sentences.length);
  const ids: number[] = [];
  sentences.forEach((s, i) => {
    const t = tokenize(student, texts[s]);
    if (t.truncated) truncatedSeen[s] = 1;
    lengths[i] = t.ids.length;
    for (const id of t.ids) ids.push(id);
  });
  return { rows: sentences.length / groupSize, lengths, ids: Int32Array.from(ids), teacher: teacher.slice(0, sentences.length * dim) };
}
