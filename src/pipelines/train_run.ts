import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { configToObject } from '../config/parse_config';
import { PairRecord } from '../data/dataset_spec';
import { loadDataset, recordTexts } from '../data/read_dataset';
import { normalizeSentence } from '../data/sentence_key';
import { splitByRatio } from '../data/split_dataset';
import { teacherEmbeddings } from '../teacher/teacher_embeddings';
import { TeacherCache } from '../teacher/teacher_cache';
import { evaluateSts } from '../eval/sts_eval';
import { embeddingDim, encodeSentences } from '../model/sentence_encoder';
import { loadSentenceModel } from '../model/sentence_model';
import { AdamW, noDecayForNormAndBias } from '../distill/adamw';
import { buildStudent, layerTable } from '../distill/build_student';
import { listCheckpoints, loadCheckpointState } from '../distill/checkpoint';
import { buildLosses } from '../distill/losses/loss_registry';
import { MetricsLog } from '../distill/metrics_log';
import { train } from '../distill/trainer';
import { TrainingState } from '../distill/training_state';
import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';
import { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { paddingFraction as computePadding, planBatches } from '../data/length_batches';
import { openTeacherCache } from './cache_teacher';
import { startTracking } from '../tracking/run_tracking';
import { writeReport } from '../tracking/html_report';
import { MlflowTracker } from '../tracking/mlflow_tracker';
import { currentBackend } from '../backend/select_backend';

export interface TrainRunOptions {
  resume?: string;
  force?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  /** Called after every optimizer step (tests check the tensor count here). */
  onStep?: (step: number) => void;
}

export interface TrainRunSummary {
  runDir: string;
  steps: number;
  seconds: number;
  trainSentencesPerSecond: number;
  teacher: ModelRow;
  student: ModelRow;
  keptLayers: number[] | null;
  paddingFraction: number;
  report: string;
  mlflow: { uri: string; runId: string | null; allSent: boolean; pending: number; skippedNonFinite: number; issues: string[] } | null;
  evals: { step: number; spearman: number }[];
  best: { step: number; spearman: number } | null;
  bestDir: string;
  finalDir: string;
  truncated: number;
  teacherComputed: number;
  teacherCached: number;
}

export interface ModelRow {
  layers: number;
  parameters: number;
  spearman: number | null;
  sentencesPerSecond: number;
}

/** Hash of what determines the trajectory; resuming with a different one is refused unless forced. */
export function configHash(cfg: ExperimentConfig): string {
  const { tracking: _t, ...rest } = cfg;
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

async function devPairs(cfg: ExperimentConfig): Promise<PairRecord[] | undefined> {
  if (!cfg.data.dev) return undefined;
  if (cfg.data.dev.kind !== 'pairs') throw new DistillError(`dev set must be of kind "pairs" (two texts and a score) for STS evaluation, got "${cfg.data.dev.kind}"`, 'data.dev.kind');
  return (await loadDataset(cfg.data.dev)).records as PairRecord[];
}

function params(w: Map<string, tf.Tensor>): number {
  let n = 0;
  for (const t of w.values()) n += t.size;
  return n;
}

/** `distill train`: everything from config to a trained, evaluated, checkpointed student. */
export async function trainRun(cfg: ExperimentConfig, opts: TrainRunOptions = {}): Promise<TrainRunSummary> {
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const runDir = opts.resume ?? cfg.output_dir;
  const hash = configHash(cfg);
  let resumeFrom: ReturnType<typeof loadCheckpointState> | undefined;
  if (opts.resume) {
    if (!fs.existsSync(runDir)) throw new DistillError('run folder to resume does not exist', runDir);
    const ckpts = listCheckpoints(runDir);
    if (!ckpts.length) throw new DistillError('no checkpoint to resume from: expected checkpoints/step-NNNNNNN folders (is this a run folder of distill train?)', runDir);
    resumeFrom = loadCheckpointState(ckpts[ckpts.length - 1]);
    if (resumeFrom.state.configHash !== hash && !opts.force) {
      throw new DistillError(`the config differs from the one this run was started with (hash ${resumeFrom.state.configHash}, now ${hash}); ` +
        `diff against ${path.join(runDir, 'config.resolved.json')} or pass --force to resume anyway`, runDir);
    }
  } else if (listCheckpoints(runDir).length) {
    throw new DistillError('output folder already holds a run; resume it with --resume, or set output_dir to a new folder', runDir);
  }
  // Everything that can fail on bad input is checked before any weights are loaded or trained.
  const teacher = loadSentenceModel(cfg.teacher.model);
  const student = buildStudent(teacher, cfg.student, cfg.seed);
  const teacherDim = embeddingDim(teacher);
  const losses = buildLosses(cfg.losses, {
    studentDim: embeddingDim(student.model), teacherDim, seed: cfg.seed,
    studentLayers: student.model.config.numHiddenLayers, teacherLayers: teacher.config.numHiddenLayers,
    studentHidden: student.model.config.hiddenSize, teacherHidden: teacher.config.hiddenSize,
    studentHeads: student.model.config.numAttentionHeads, teacherHeads: teacher.config.numAttentionHeads,
    keptLayers: student.keptLayers ?? undefined,
  });
  const needsTriplets = losses.some((l) => l.loss.needs.triplets);
  if (needsTriplets !== (cfg.data.train.kind === 'triplets')) {
    throw new DistillError(needsTriplets
      ? `margin_mse trains on (query, positive, negative) rows; data.train.kind is "${cfg.data.train.kind}", expected "triplets"`
      : 'data.train.kind "triplets" needs a triplet loss (margin_mse) in losses', 'data.train.kind');
  }
  if (losses.some((l) => l.loss.needs.teacherLive) && student.model.tokenizer.fingerprint() !== teacher.tokenizer.fingerprint()) {
    throw new DistillError('layer-wise losses run teacher and student on the same token ids, but their tokenizers differ', 'losses');
  }
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, 'config.resolved.json'), JSON.stringify(configToObject(cfg), null, 2));
  log(`teacher: ${cfg.teacher.model} (${teacher.config.numHiddenLayers} layers, ${teacher.config.hiddenSize} wide, pooling ${teacher.pooling.modes.join('+')}${teacher.normalize ? ' + normalize' : ''})`);
  log(layerTable(student, teacher.config.numHiddenLayers));
  for (const l of losses) for (const [k, p] of l.loss.params) log(`  loss head ${k}: ${JSON.stringify(p.shape)}`);

  const { records: allRecords, stats } = await loadDataset(cfg.data.train);
  const heldOut = !cfg.data.dev && cfg.data.dev_ratio ? splitByRatio(allRecords, cfg.data.dev_ratio, cfg.seed) : undefined;
  const records = heldOut ? heldOut.train : allRecords;
  // Distinct sentences, and each training row as indices into them ([i], or [q, p, n] for triplets).
  const sentenceIndex = new Map<string, number>();
  const rows = records.map((r) => recordTexts(r).map(normalizeSentence).map((t) => {
    if (!sentenceIndex.has(t)) sentenceIndex.set(t, sentenceIndex.size);
    return sentenceIndex.get(t)!;
  }));
  const trainRows = needsTriplets ? rows : [...new Set(rows.flat())].map((i) => [i]);
  const trainTexts = [...sentenceIndex.keys()];
  const dev = await devPairs(cfg);
  log(`data: ${trainRows.length} training ${needsTriplets ? 'triplets' : 'sentences'}, ${trainTexts.length} distinct sentences (${stats.rows} rows, ${stats.duplicates} duplicates, ${stats.filtered} filtered, ${stats.badRows} bad rows skipped)${dev ? `, ${dev.length} dev pairs` : ''}`);

  let truncated = 0;
  const ids = trainTexts.map((t) => {
    const e = student.model.tokenizer.encode(t).ids;
    if (e.length <= student.model.maxSeqLength) return Int32Array.from(e);
    truncated++;
    return Int32Array.from([...e.slice(0, student.model.maxSeqLength - 1), e[e.length - 1]]);
  });
  const cache = cfg.teacher.cache ? openTeacherCache(cfg, teacher) : TeacherCache.open(path.join(runDir, '.teacher-cache'), 'nocache', teacherDim);
  const tprog = new Progress('teacher', 1, 'sent', process.stderr, opts.quiet);
  const te = await teacherEmbeddings(teacher, cache, trainTexts, {
    batchSize: cfg.teacher.batch_size,
    onProgress: (d, n) => {
      tprog.setTotal(n);
      tprog.update(d);
    },
  });
  log(`teacher embeddings: ${te.cached} from cache, ${te.computed} computed${cfg.teacher.cache ? ` (cache ${cache.dir})` : ''}`);

  const rowLengths = trainRows.map((r) => Math.max(...r.map((i) => ids[i].length)));
  const paddingFraction = computePadding(rowLengths, planBatches(rowLengths, cfg.train.batch_size, new Rng(cfg.seed), cfg.train.bucketed));
  log(`batches: ${cfg.train.bucketed ? 'length-bucketed' : 'random'}, batch ${cfg.train.batch_size}, padding ${(100 * paddingFraction).toFixed(1)}% of token slots`);
  const optimizer = new AdamW(new Map([...student.variables, ...losses.flatMap((l) => [...l.loss.params])]), {
    eps: cfg.train.adam_eps, weightDecay: cfg.train.weight_decay, noDecay: noDecayForNormAndBias,
  });
  let state: TrainingState = {
    version: 1, step: 0, epoch: 0, batchInEpoch: 0, epochRngState: cfg.seed, rngState: cfg.seed,
    configHash: hash, evals: [], best: null, trackingRunId: null, sentencesSeen: 0,
  };
  const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'));
  if (resumeFrom) {
    const ck = loadSentenceModel(resumeFrom.dir);
    for (const [k, v] of student.variables) {
      const w = ck.weights.get(k);
      if (!w || w.shape.join() !== v.shape.join()) throw new DistillError(`checkpoint weight "${k}" missing or of shape ${JSON.stringify(w?.shape)}, expected ${JSON.stringify(v.shape)}`, resumeFrom.dir);
      v.assign(w);
    }
    for (const l of losses) for (const [k, p] of l.loss.params) {
      const h = resumeFrom.heads.get(k);
      if (!h) throw new DistillError(`checkpoint lacks loss head "${k}"`, resumeFrom.dir);
      p.assign(tf.tensor(h.data, h.shape));
    }
    tf.dispose([...ck.weights.values()]);
    try {
      optimizer.load(resumeFrom.state.step, resumeFrom.optimizer);
    } catch (e) {
      throw new DistillError((e as Error).message, resumeFrom.dir);
    }
    state = { ...resumeFrom.state, configHash: hash };
    metrics.truncateAfter(state.step);
    log(`resuming from ${resumeFrom.dir}: step ${state.step}, epoch ${state.epoch}, batch ${state.batchInEpoch}`);
  }

  const tracker = startTracking(cfg, runDir, metrics, {
    teacher: cfg.teacher.model, student: student.keptLayers ? `layers ${JSON.stringify(student.keptLayers)}` : `fresh ${student.model.config.numHiddenLayers}x${student.model.config.hiddenSize}`,
    backend: currentBackend()?.name ?? 'unknown', resumeRunId: state.trackingRunId, resumed: !!resumeFrom,
  }, log);
  try {
    state.trackingRunId = tracker?.runId ?? state.trackingRunId;
    const teacherEval = dev ? await evaluateSts(teacher, dev) : undefined;
    if (dev && state.step === 0 && !state.evals.length) {
      const r = await evaluateSts(student.model, dev);
      state.evals.push({ step: 0, spearman: r.spearman });
      metrics.append({ step: 0, eval_spearman: r.spearman });
      log(`eval step 0 (before training): student ${r.spearman.toFixed(2)}, teacher ${teacherEval!.spearman.toFixed(2)}`);
    }
    const result = await train({
      cfg, student, losses, runDir, state, optimizer, metrics, dev, quiet: opts.quiet, log, onStep: opts.onStep,
      data: { ids, teacher: te.embeddings, teacherDim, padId: student.model.tokenizer.padId, rows: trainRows },
      teacherModel: teacher,
    });
    const speedSentences = (dev ? [...new Set(dev.flatMap((p) => [p.text_a, p.text_b]))] : trainTexts).slice(0, 1000);
    const speed = async (m: typeof teacher) => {
      await encodeSentences(m, speedSentences.slice(0, 64));
      const t0 = performance.now();
      await encodeSentences(m, speedSentences);
      return speedSentences.length / ((performance.now() - t0) / 1000);
    };
    const lastEval = result.state.evals[result.state.evals.length - 1];
    const summary: TrainRunSummary = {
      runDir,
      steps: result.state.step,
      seconds: result.seconds,
      trainSentencesPerSecond: result.sentencesPerSecond,
      teacher: { layers: teacher.config.numHiddenLayers, parameters: params(teacher.weights), spearman: teacherEval?.spearman ?? null, sentencesPerSecond: await speed(teacher) },
      student: { layers: student.model.config.numHiddenLayers, parameters: params(student.model.weights), spearman: lastEval?.spearman ?? null, sentencesPerSecond: await speed(student.model) },
      keptLayers: student.keptLayers,
      paddingFraction,
      evals: result.state.evals,
      best: result.state.best,
      bestDir: path.join(runDir, 'best'),
      finalDir: listCheckpoints(runDir).pop()!,
      truncated,
      teacherComputed: te.computed,
      teacherCached: te.cached,
      report: '',
      mlflow: null,
    };
    const reportFile = path.join(runDir, 'report.html');
    summary.report = reportFile;
    writeReport(reportFile, `${cfg.name}: distillation run`, metrics.read(), {
      steps: summary.steps, minutes: +(summary.seconds / 60).toFixed(2), teacher_spearman: summary.teacher.spearman, student_spearman: summary.student.spearman,
      best: summary.best ? `${summary.best.spearman.toFixed(2)} at step ${summary.best.step}` : null, teacher_layers: summary.teacher.layers, student_layers: summary.student.layers,
      train_sentences_per_second: +summary.trainSentencesPerSecond.toFixed(1), padding: `${(100 * summary.paddingFraction).toFixed(1)}%`,
    });
    summary.mlflow = tracker ? await finishTracking(tracker, runDir, cfg.tracking.final_timeout_s) : null;
    fs.writeFileSync(path.join(runDir, 'summary.json'), JSON.stringify(summary, null, 2));
    optimizer.dispose();
    for (const l of losses) tf.dispose([...l.loss.params.values()]);
    tf.dispose([...student.variables.values(), ...teacher.weights.values()]);
    return summary;
  } catch (e) {
    writeReport(path.join(runDir, 'report.html'), `${cfg.name} (failed)`, metrics.read(), null);
    if (tracker) {
      await tracker.uploadArtifacts([['report.html', path.join(runDir, 'report.html')], ['config.resolved.json', path.join(runDir, 'config.resolved.json')]]);
      await tracker.finish('FAILED', 5000);
    }
    throw e;
  }
}

async function finishTracking(tracker: MlflowTracker, runDir: string, timeoutS: number): Promise<TrainRunSummary['mlflow']> {
  const files: Array<[string, string]> = ['config.resolved.json', 'report.html', 'metrics.jsonl'].map((f) => [f, path.join(runDir, f)]);
  const onnx = path.join(runDir, 'export', 'onnx', 'model.onnx');
  if (fs.existsSync(onnx)) files.push(['onnx/model.onnx', onnx]);
  const allSent = await tracker.flush(timeoutS * 1000);
  await tracker.uploadArtifacts(files);
  await tracker.finish('FINISHED', 1000);
  return { uri: tracker.client.uri, runId: tracker.runId, allSent, pending: tracker.pending, skippedNonFinite: tracker.skippedNonFinite, issues: tracker.issues };
}
