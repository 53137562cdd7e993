import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { DatasetRecord, PairRecord } from '../data/dataset_spec';
import { paddingFraction } from '../data/length_batches';
import { loadDataset, ReadStats, recordTexts } from '../data/read_dataset';
import { ReaderRegistry } from '../data/readers/reader_registry';
import { normalizeSentence } from '../data/sentence_key';
import { splitByRatio } from '../data/split_dataset';
import { planEpoch, rowLengths, TrainData } from '../distill/train_data';
import { Evaluator } from '../eval/evaluator';
import { MseEvaluator } from '../eval/mse_evaluator';
import { StsEvaluator } from '../eval/sts_evaluator';
import { embeddingDim } from '../model/sentence_encoder';
import { SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { TeacherEncode, teacherEmbeddings } from '../teacher/teacher_embeddings';
import { DistillError } from '../util/errors';
import { Progress } from '../util/progress';
import { openTeacherCache, teacherOnnxDir } from './cache_teacher';
import { teacherRuntime } from './teacher_runtime';
import { sharedTeacherEmbeddings } from './shared_teacher_embeddings';

export interface RunData {
  data: TrainData;
  /** Distinct training sentences, in the order of `data.ids`. */
  texts: string[];
  /** The dev evaluators: STS on data.dev or held-out pairs, else MSE to the teacher on held-out sentences. */
  evaluators: Evaluator[];
  /** Where the dev metric comes from, for the log and summary. */
  devSource: string | null;
  stats: ReadStats;
  truncated: number;
  paddingFraction: number;
  teacherComputed: number;
  teacherCached: number;
}

/** Distinct sentences of the records, and each record as indices into them. */
function indexSentences(records: DatasetRecord[]): { texts: string[]; rows: number[][] } {
  const index = new Map<string, number>();
  const rows = records.map((r) => recordTexts(r).map(normalizeSentence).map((t) => {
    if (!index.has(t)) index.set(t, index.size);
    return index.get(t)!;
  }));
  return { texts: [...index.keys()], rows };
}

/** Token ids cut to the student's max length, keeping the final [SEP]. */
function tokenize(model: SentenceModel, texts: string[]): { ids: Int32Array[]; truncated: number } {
  let truncated = 0;
  const ids = texts.map((t) => {
    const e = model.tokenizer.encode(t).ids;
    if (e.length <= model.maxSeqLength) return Int32Array.from(e);
    truncated++;
    return Int32Array.from([...e.slice(0, model.maxSeqLength - 1), e[e.length - 1]]);
  });
  return { ids, truncated };
}

/**
 * Training data for a run: records read and split (data.dev_ratio holds out a
 * seeded share), sentences de-duplicated and tokenised for the student,
 * teacher embeddings from the cache (computing what is missing), and the dev
 * evaluators.
 */
export async function prepareRunData(cfg: ExperimentConfig, teacher: SentenceModel, student: SentenceModel, runDir: string, opts: { quiet?: boolean; readers?: ReaderRegistry; signal?: AbortSignal } = {}): Promise<RunData> {
  const { records: all, stats } = await loadDataset(cfg.data.train, opts.readers);
  const split = cfg.data.dev_ratio ? splitByRatio(all, cfg.data.dev_ratio, cfg.seed) : { train: all, dev: [] };
  const triplets = cfg.data.train.kind === 'triplets';
  const { texts, rows } = indexSentences(split.train);
  const trainRows = triplets ? rows : [...new Set(rows.flat())].map((i) => [i]);
  const { ids, truncated } = tokenize(student, texts);
  const cache = cfg.teacher.cache ? openTeacherCache(cfg, teacher) : TeacherCache.open(path.join(runDir, '.teacher-cache'), 'nocache', embeddingDim(teacher));
  const progress = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
  const onProgress = (d: number, n: number) => (progress.setTotal(n), progress.update(d));
  // A shared cache may be filled by a cache-teacher or another train at the same time: write under its shard locks.
  const fill = cfg.teacher.cache ? sharedTeacherEmbeddings : teacherEmbeddings;
  const runtime = teacherRuntime(teacher, cfg.teacher.runtime, { onnxDir: teacherOnnxDir(cfg), log: opts.quiet ? undefined : (l) => process.stderr.write(l + '\n') });
  let te: Awaited<ReturnType<typeof fill>>, dev: Awaited<ReturnType<typeof devEvaluators>>;
  try {
    te = await fill(teacher, cache, texts, { batchSize: cfg.teacher.batch_size, onProgress, signal: opts.signal, encode: runtime.encode });
    dev = await devEvaluators(cfg, split.dev, teacher, student, cache, opts.readers, runtime.encode);
  } finally {
    await runtime.release();
  }
  const data: TrainData = { ids, teacher: te.embeddings, teacherDim: cache.dim, padId: student.tokenizer.padId, rows: trainRows };
  // The first epoch's plan, as the loop will make it: its padding is the run's.
  const lengths = rowLengths(data);
  const padding = paddingFraction(lengths, planEpoch(lengths, cfg.train.batch_size, cfg.seed, cfg.train.bucketed).batches);
  return { data, texts, evaluators: dev.evaluators, devSource: dev.source, stats, truncated, paddingFraction: padding, teacherComputed: te.computed, teacherCached: te.cached };
}

async function devEvaluators(cfg: ExperimentConfig, heldOut: DatasetRecord[], teacher: SentenceModel, student: SentenceModel, cache: TeacherCache, readers?: ReaderRegistry, encode?: TeacherEncode): Promise<{ evaluators: Evaluator[]; source: string | null }> {
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
  const { texts } = indexSentences(heldOut);
  const te = await teacherEmbeddings(teacher, cache, texts, { batchSize: cfg.teacher.batch_size, encode });
  return { evaluators: [new MseEvaluator(texts, te.embeddings, cache.dim)], source };
}
