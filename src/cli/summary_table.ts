import { TrainRunSummary } from '../pipelines/train_run';

/** The end-of-run table: teacher vs student quality, size and speed, with the gap. */
export function formatSummaryTable(s: TrainRunSummary): string {
  const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  const gap = s.teacher.spearman !== null && s.student.spearman !== null ? s.student.spearman - s.teacher.spearman : null;
  const mse = s.devMetric && !s.devMetric.greaterIsBetter;
  const head = mse ? `dev ${s.devMetric!.name}` : 'STS dev Spearman';
  const value = (r: TrainRunSummary['teacher']) => (mse ? f(r.dev, 4) : f(r.spearman));
  const rows = [
    ['', 'layers', 'params', head, 'encode sent/s'],
    ['teacher', String(s.teacher.layers), `${(s.teacher.parameters / 1e6).toFixed(1)}M`, value(s.teacher), f(s.teacher.sentencesPerSecond, 0)],
    ['student', String(s.student.layers), `${(s.student.parameters / 1e6).toFixed(1)}M`, value(s.student), f(s.student.sentencesPerSecond, 0)],
    ['gap', '', `${((s.student.parameters / s.teacher.parameters) * 100).toFixed(0)}%`, mse || gap === null ? 'n/a' : (gap >= 0 ? '+' : '') + gap.toFixed(2), `${(s.student.sentencesPerSecond / s.teacher.sentencesPerSecond).toFixed(2)}x`],
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ')).join('\n');
  return [
    `trained ${s.steps} steps in ${(s.seconds / 60).toFixed(1)} min (${s.trainSentencesPerSecond.toFixed(0)} sentences/s); ${s.keptLayers ? `student keeps teacher layers ${JSON.stringify(s.keptLayers)}` : 'fresh student'}; padding ${(100 * s.paddingFraction).toFixed(1)}%`,
    `teacher embeddings: ${s.teacherCached} cached, ${s.teacherComputed} computed; sentences truncated: ${s.truncated}`,
    table,
    ...devLines(s),
    `last checkpoint: ${s.finalDir}`,
    `report: ${s.report}`,
    ...(s.mlflow ? [`MLflow: run ${s.mlflow.runId ?? '(not created)'} at ${s.mlflow.uri}${s.mlflow.allSent ? ', all metrics sent' : `, ${s.mlflow.pending} metrics still queued (sent by --resume)`}${s.mlflow.skippedNonFinite ? `, ${s.mlflow.skippedNonFinite} non-finite values not sent` : ''}`, ...s.mlflow.issues.map((i) => `  MLflow: ${i}`)] : []),
  ].join('\n');
}

/** The dev metric's history by step and the best point. */
function devLines(s: TrainRunSummary): string[] {
  if (!s.devMetric) return ['dev: none (give data.dev or data.dev_ratio to evaluate)'];
  const m = s.devMetric;
  const d = m.greaterIsBetter ? 2 : 4;
  return [
    `dev ${m.name} (${m.description}; ${m.source}) by step: ${s.evals.map((e) => `${e.step}:${e[m.name].toFixed(d)}`).join('  ')}`,
    `best: ${s.best ? `step ${s.best.step}, ${s.best.metric} ${s.best.value.toFixed(d)} -> ${s.bestDir}` : 'n/a'}`,
  ];
}
