import * as tf from '../backend/tf';
import * as path from 'path';
import { LoadedCheckpoint, OPTIMIZER_FILE } from '../distill/checkpoint';
import { TrainingState } from '../distill/training_state';
import { disposeSentenceModel, loadSentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { RunModels } from './run_models';

/** Puts a checkpoint's weights, loss heads and optimizer slots into the run's variables; returns its state. */
export function restoreCheckpoint(models: RunModels, ck: LoadedCheckpoint, hash: string): TrainingState {
  const saved = loadSentenceModel(ck.dir);
  try {
    for (const [k, v] of models.student.variables) {
      const w = saved.weights.get(k);
      if (!w || w.shape.join() !== v.shape.join()) throw new DistillError(`checkpoint weight "${k}" missing or of shape ${JSON.stringify(w?.shape)}, expected ${JSON.stringify(v.shape)}`, ck.dir);
      v.assign(w);
    }
  } finally {
    disposeSentenceModel(saved);
  }
  for (const l of models.losses) {
    for (const [k, p] of l.loss.params) {
      const h = ck.heads.get(k);
      if (!h) throw new DistillError(`checkpoint lacks loss head "${k}"`, ck.dir);
      if (h.shape.join() !== p.shape.join()) throw new DistillError(`loss head "${k}" has shape ${JSON.stringify(h.shape)}, expected ${JSON.stringify(p.shape)}`, ck.dir);
      tf.tidy(() => p.assign(tf.tensor(h.data, h.shape)));
    }
  }
  models.optimizer.load(ck.state.step, ck.optimizer, path.join(ck.dir, OPTIMIZER_FILE));
  return { ...ck.state, configHash: hash };
}
