import { TrainRunSummary } from '../pipelines/train_run';

/** The end-of-run table: teacher vs student quality, size and speed, with the gap. */
export function formatSummaryTable(s: TrainRunSummary): string {
  const f = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  const gap = s.teacher.spearman !== null && s.student.spearman !== null ? s.student.spearman - s.teacher.spearman : null;
  const rows = [
    ['', 'layers', 'params', 'STS dev Spearman', 'encode sent/s'],
    ['teacher', String(s.teacher.layers), `${(s.teacher.parameters / 1e6).toFixed(1)}M`, f(s.teacher.spearman), f(s.teacher.sentencesPerSecond, 0)],
    ['student', String(s.student.layers), `${(s.student.parameters / 1e6).toFixed(1)}M`, f(s.student.spearman), f(s.student.sentencesPerSecond, 0)],
    ['gap', '', `${((s.student.parameters / s.teacher.parameters) * 100).toFixed(0)}%`, gap === null ? 'n/a' : (gap >= 0 ? '+' : '') + gap.toFixed(2), `${(s.student.sentencesPerSecond / s.teacher.sentencesPerSecond).toFixed(2)}x`],
  ];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((x, c) => (c === 0 ? x.padEnd(w[c]) : x.padStart(w[c]))).join('  ')).join('\n');
  return [
    `trained ${s.steps} steps in ${(s.seconds / 60).toFixed(1)} min (${s.trainSentencesPerSecond.toFixed(0)} sentences/s); ${s.keptLayers ? `student keeps teacher layers ${JSON.stringify(s.keptLayers)}` : 'fresh student'}; padding ${(100 * s.paddingFraction).toFixed(1)}%`,
    `teacher embeddings: ${s.teacherCached} cached, ${s.teacherComputed} computed; sentences truncated: ${s.truncated}`,
    table,
    `dev Spearman by step: ${s.evals.map((e) => `${e.step}:${e.spearman.toFixed(2)}`).join('  ')}`,
    `best: ${s.best ? `step ${s.best.step}, ${s.best.spearman.toFixed(2)} -> ${s.bestDir}` : 'n/a'}`,
    `last checkpoint: ${s.finalDir}`,
    `report: ${s.report}`,
    ...(s.mlflow ? [`MLflow: run ${s.mlflow.runId ?? '(not created)'} at ${s.mlflow.uri}${s.mlflow.allSent ? ', all metrics sent' : `, ${s.mlflow.pending} metrics still queued (sent by --resume)`}${s.mlflow.skippedNonFinite ? `, ${s.mlflow.skippedNonFinite} non-finite values not sent` : ''}`, ...s.mlflow.issues.map((i) => `  MLflow: ${i}`)] : []),
  ].join('\n');
}
