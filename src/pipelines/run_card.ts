import * as fs from 'fs';
import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import { TrainingState } from '../distill/training_state';
import { MODEL_CARD_FILE, ModelCardData, renderModelCard, studentShape } from '../model/model_card';
import { ResolvedModel } from '../hub/resolve_model';
import { writeFileAtomic } from '../util/atomic_write';
import { RunData } from './run_data';
import { RunModels } from './run_models';
import type { TrainRunSummary } from './run_summary';

/** The card of a model this run saves: plain data from the config, teacher, student and the evaluations so far. */
export function runCardData(cfg: ExperimentConfig, teacher: ResolvedModel, models: RunModels, data: RunData, state: Pick<TrainingState, 'evals' | 'best'>): ModelCardData {
  return {
    teacher: { model: cfg.teacher.model, ...(teacher.hub ? { hub: teacher.hub } : {}) },
    student: studentShape(models.student.model, models.student.keptLayers),
    losses: cfg.losses.map((l) => ({ name: l.name, weight: l.weight, options: l.options })),
    data: { train: cfg.data.train.path, rows: data.rows, dev: data.devSource },
    evals: state.evals.map((e) => ({ ...e })),
    best: state.best,
    teacherScore: null,
  };
}

/**
 * At the end of the run, best/ (saved mid-run, before later evaluations and
 * the teacher's score were known) and the final checkpoint get the whole
 * evaluation table. One atomic file write each; best/ keeps its own best point.
 */
export function finishRunCards(card: ModelCardData, s: TrainRunSummary): void {
  // The dev metric when it means something for the teacher; else its STS Spearman when the run has STS pairs.
  const teacherScore = s.devMetric && s.teacher.dev !== null ? { metric: s.devMetric.name, value: s.teacher.dev }
    : s.teacher.spearman !== null ? { metric: 'spearman', value: s.teacher.spearman } : null;
  const full = { ...card, evals: s.evals, best: s.best, teacherScore };
  if (fs.existsSync(s.bestDir)) writeFileAtomic(path.join(s.bestDir, MODEL_CARD_FILE), renderModelCard(full));
  if (s.finalDir && fs.existsSync(s.finalDir)) writeFileAtomic(path.join(s.finalDir, MODEL_CARD_FILE), renderModelCard(full));
}
