import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { DatasetRecord, PairRecord } from '../data/dataset_spec';
import { paddingFraction } from '../data/length_batches';
import { loadDataset, ReadStats, recordTexts } from '../data/read_dataset';
import { ReaderRegistry } from '../data/readers/reader_registry';
import { normalizeSentence } from '../data/sentence_key';
import { EpochBatches } from '../distill/epoch_batches';
import { rowLengths } from '../distill/train_data';
import { TrainSource } from '../distill/train_source';
import { Evaluator } from '../eval/evaluator';
import { MseEvaluator } from '../eval/mse_evaluator';
import { StsEvaluator } from '../eval/sts_evaluator';
import { embeddingDim } from '../model/sentence_encoder';
import { SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { TeacherEncode, teacherEmbeddings } from '../teacher/teacher_embeddings';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { DistillError } from '../util/errors';
import { openTeacherCache, teacherOnnxDir } from './cache_teacher';
import { teacherRuntime } from './teacher_runtime';
import { prepareData } from './prepare_data';
import { readableSync } from '../backend/webgpu_backend';
export interface RunData {
  /** The training rows, read a window at a time. */
  data: TrainSource;
  /** Training rows, and distinct sentences among them. */
  rows: number;
  sentences: number;
  /** Up to 1000 training sentences (for encode speed). */
  sample: string[];
  /** The dev evaluators: STS on data.dev or held-out pairs, else MSE to the teacher on held-out sentences. */
  evaluators: Evaluator[];
  /** Where the dev metric comes from, for the log and summary. */
  devSource: string | null;
  stats: ReadStats;
  truncated: number;
  paddingFraction: number;
  teacherComputed: number;
  teacherCached: number;
  /** The prepared dataset's folder, and whether it existed already (nothing else was read). */
  prepared: { dir: string; reused: boolean };
}

/** Distinct sentences of held-out records. */
function distinctTexts(records: DatasetRecord[]): string[] {
  return [...new Set(records.flatMap((r) => recordTexts(r).map(normalizeSentence)))];
}

/**
 * Training data for a run: the prepared dataset of this data, student
 * tokenizer and teacher (prepare_data.ts: built once, then only its manifest
 * is read), and the dev evaluators. The padding reported is the first
 * window's, as the loop will plan it.
 */
export async function prepareRunData(cfg: ExperimentConfig, teacher: SentenceModel, student: SentenceModel, runDir: string, opts: { quiet?: boolean; readers?: ReaderRegistry; signal?: AbortSignal } = {}): Promise<RunData> {
  let cache: TeacherCache | undefined;
  // Fingerprinted once, now: it reads the weights synchronously, which webgpu allows only right after an async read.
  await readableSync(teacher.weights.values());
  const fp = teacherFingerprint(teacher);
  const openCache = () => (cache ??= cfg.teacher.cache ? openTeacherCache(cfg, teacher, fp) : TeacherCache.open(path.join(runDir, '.teacher-cache'), 'nocache', embeddingDim(teacher)));
  // Opened lazily: a warm start (every row cached, or the dataset prepared) exports and loads nothing.
  const runtime = teacherRuntime(teacher, cfg.teacher.runtime, { onnxDir: teacherOnnxDir(cfg), log: opts.quiet ? undefined : (l) => process.stderr.write(l + '\n') });
  let p: Awaited<ReturnType<typeof prepareData>>, dev: Awaited<ReturnType<typeof devEvaluators>>;
  try {
    p = await prepareData(cfg, teacher, fp.fingerprint, student, runDir, { ...opts, openCache, encode: runtime.encode });
    dev = await devEvaluators(cfg, p.dev, teacher, student, openCache, opts.readers, runtime.encode);
  } finally {
    await runtime.release();
  }
  const m = p.manifest;
  const first = new EpochBatches(p.source, cfg.train.batch_size, cfg.seed, cfg.train.bucketed).window(0);
  const padding = paddingFraction(rowLengths(first.data), first.batches);
  return {
    data: p.source, rows: m.rows, sentences: m.sentences, sample: m.sample, evaluators: dev.evaluators, devSource: dev.source, stats: m.stats,
    truncated: m.truncated, paddingFraction: padding, teacherComputed: p.reused ? 0 : m.teacherComputed, teacherCached: p.reused ? m.sentences : m.teacherCached,
    prepared: { dir: p.dir, reused: p.reused },
  };
}

async function devEvaluators(cfg: ExperimentConfig, heldOut: DatasetRecord[], teacher: SentenceModel, student: SentenceModel, openCache: () => TeacherCache, readers?: ReaderRegistry, encode?: TeacherEncode): Promise<{ evaluators: Evaluator[]; source: string | null }> {
  if (cfg.data.dev) {
    if (cfg.data.dev.kind !== 'pairs') throw new DistillError(`dev set must be of kind "pairs" (two texts and a score) for STS evaluation, got "${cfg.data.dev.kind}"`, 'data.dev.kind');
    const pairs = (await loadDataset(cfg.data.dev, readers)).records as PairRecord[];
    return { evaluators: [new StsEvaluator(pairs, 64, cfg.data.dev.path)], source: cfg.data.dev.path };
  }
  if (!heldOut.length) return { evaluators: [], source: null };
  const source = `${heldOut.length} rows held out of data.train (dev_ratio ${cfg.data.dev_ratio})`;
  if (cfg.data.train.kind === 'pairs') return { evaluators: [new StsEvaluator(heldOut as PairRecord[], 64, `data.dev_ratio: ${source}`)], source };
  if (embeddingDim(student) !== embeddingDim(teacher)) {
    throw new DistillError(`held-out sentences without gold scores are scored by MSE to the teacher, which needs equal embedding widths (student ${embeddingDim(student)}, teacher ${embeddingDim(teacher)}); give data.dev with scored pairs instead`, 'data.dev_ratio');
  }
  const texts = distinctTexts(heldOut);
  const cache = openCache();
  const te = await teacherEmbeddings(teacher, cache, texts, { batchSize: cfg.teacher.batch_size, encode });
  return { evaluators: [new MseEvaluator(texts, te.embeddings, cache.dim)], source };
}
