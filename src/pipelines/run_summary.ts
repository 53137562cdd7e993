import * as path from 'path';
import * as tf from '../backend/tf';
import { ExperimentConfig } from '../config/experiment_config';
import { listCheckpoints } from '../distill/checkpoint';
import { LoopResult } from '../distill/train_loop';
import { BestPoint, EvalPoint } from '../distill/training_state';
import { Evaluator } from '../eval/evaluator';
import { encodeSentences } from '../model/sentence_encoder';
import { SentenceModel } from '../model/sentence_model';
import { formatMetric } from '../model/model_card';
import { writeReport } from '../tracking/html_report';
import { MetricsLog } from '../distill/metrics_log';
import { RunData } from './run_data';
import { RunModels } from './run_models';

export interface ModelRow {
  layers: number;
  parameters: number;
  /** STS dev Spearman x100, when the run has an STS dev set. */
  spearman: number | null;
  /** The run's dev metric (see `devMetric`): the student's last value; the teacher's where it means something. */
  dev: number | null;
  sentencesPerSecond: number;
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
  /** The metric that decides "best", what it measures and on which data. */
  devMetric: { name: string; description: string; source: string; greaterIsBetter: boolean } | null;
  report: string;
  mlflow: { uri: string; runId: string | null; allSent: boolean; pending: number; skippedNonFinite: number; issues: string[] } | null;
  evals: EvalPoint[];
  best: BestPoint | null;
  bestDir: string;
  finalDir: string;
  truncated: number;
  teacherComputed: number;
  teacherCached: number;
}

function parameters(w: Map<string, tf.Tensor>): number {
  let n = 0;
  for (const t of w.values()) n += t.size;
  return n;
}

/** Measured encode throughput on up to 1000 of the run's sentences (after a warm-up batch). */
async function encodeSpeed(m: SentenceModel, sentences: string[]): Promise<number> {
  await encodeSentences(m, sentences.slice(0, 64));
  const t0 = performance.now();
  await encodeSentences(m, sentences);
  return sentences.length / ((performance.now() - t0) / 1000);
}

/** The end-of-run summary: teacher vs student on the dev metric, size and measured speed. */
export async function summarizeRun(runDir: string, models: RunModels, data: RunData, loop: LoopResult, decider: Evaluator | undefined): Promise<TrainRunSummary> {
  const { teacher, student } = models;
  const last = loop.state.evals[loop.state.evals.length - 1];
  const sts = data.evaluators.find((e) => e.name === 'spearman');
  const teacherSts = sts ? await sts.evaluate(teacher) : null;
  // MSE to the teacher is 0 for the teacher itself: no row value.
  const teacherDev = decider === sts ? teacherSts : null;
  const speedSentences = data.sample.slice(0, 1000);
  return {
    runDir,
    steps: loop.state.step,
    seconds: loop.seconds,
    trainSentencesPerSecond: loop.sentencesPerSecond,
    teacher: { layers: teacher.config.numHiddenLayers, parameters: parameters(teacher.weights), spearman: teacherSts, dev: teacherDev, sentencesPerSecond: await encodeSpeed(teacher, speedSentences) },
    student: {
      layers: student.model.config.numHiddenLayers, parameters: parameters(student.model.weights), spearman: last?.spearman ?? null,
      dev: decider ? last?.[decider.name] ?? null : null, sentencesPerSecond: await encodeSpeed(student.model, speedSentences),
    },
    keptLayers: student.keptLayers,
    paddingFraction: data.paddingFraction,
    devMetric: decider ? { name: decider.name, description: decider.description, source: data.devSource ?? '', greaterIsBetter: decider.greaterIsBetter } : null,
    evals: loop.state.evals,
    best: loop.state.best,
    bestDir: path.join(runDir, 'best'),
    finalDir: listCheckpoints(runDir).pop()!,
    truncated: data.truncated,
    teacherComputed: data.teacherComputed,
    teacherCached: data.teacherCached,
    report: path.join(runDir, 'report.html'),
    mlflow: null,
  };
}

/** report.html: the metrics plots and the summary's headline numbers. */
export function writeRunReport(cfg: ExperimentConfig, metrics: MetricsLog, s: TrainRunSummary): void {
  writeReport(s.report, `${cfg.name}: distillation run`, metrics.read(), {
    steps: s.steps, minutes: +(s.seconds / 60).toFixed(2), teacher_spearman: s.teacher.spearman, student_spearman: s.student.spearman,
    dev_metric: s.devMetric?.name ?? null, student_dev: s.student.dev,
    best: s.best ? `${s.best.metric} ${formatMetric(s.best.metric, s.best.value)} at step ${s.best.step}` : null, teacher_layers: s.teacher.layers, student_layers: s.student.layers,
    train_sentences_per_second: +s.trainSentencesPerSecond.toFixed(1), padding: `${(100 * s.paddingFraction).toFixed(1)}%`,
  }, { teacherSpearman: s.teacher.spearman });
}
