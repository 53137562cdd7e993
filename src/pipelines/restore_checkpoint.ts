import * as tf from '../backend/tf';
import { readableSync } from '../backend/webgpu_backend';
import * as path from 'path';
import { TrainSpec } from '../config/experiment_config';
import { HEADS_FILE, LoadedCheckpoint, OPTIMIZER_FILE, STATE_FILE } from '../distill/checkpoint';
import { sourceBatchesPerEpoch, sourceSteps } from '../distill/train_loop';
import { TrainSource } from '../distill/train_source';
import { checkState, TrainingState } from '../distill/training_state';
import { disposeSentenceModel, loadSentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { assertFinite } from '../util/finite';
import { RunModels } from './run_models';

/**
 * Puts a checkpoint's weights, loss heads and optimizer slots into the run's
 * variables; returns its state. Everything is validated first (state fields
 * in range for this config and data, every tensor finite), so a corrupt
 * checkpoint is refused naming its file rather than failing steps later.
 */
export async function restoreCheckpoint(models: RunModels, ck: LoadedCheckpoint, hash: string, run: { source: TrainSource; train: TrainSpec }): Promise<TrainingState> {
  const tc = run.train;
  checkState(ck.state, path.join(ck.dir, STATE_FILE), {
    totalSteps: sourceSteps(run.source, tc),
    epochs: tc.epochs,
    batchesPerEpoch: sourceBatchesPerEpoch(run.source, tc),
  });
  const saved = loadSentenceModel(ck.dir);
  try {
    await readableSync(saved.weights.values());
    for (const [k, v] of models.student.variables) {
      const w = saved.weights.get(k);
      if (!w || w.shape.join() !== v.shape.join()) throw new DistillError(`checkpoint weight "${k}" missing or of shape ${JSON.stringify(w?.shape)}, expected ${JSON.stringify(v.shape)}`, ck.dir);
      assertFinite(w.dataSync(), `weight "${k}"`, path.join(ck.dir, 'model.safetensors'));
    }
    for (const [k, v] of models.student.variables) v.assign(saved.weights.get(k)!);
  } finally {
    disposeSentenceModel(saved);
  }
  for (const l of models.losses) {
    for (const [k, p] of l.loss.params) {
      const h = ck.heads.get(k);
      if (!h) throw new DistillError(`checkpoint lacks loss head "${k}"`, ck.dir);
      if (h.shape.join() !== p.shape.join()) throw new DistillError(`loss head "${k}" has shape ${JSON.stringify(h.shape)}, expected ${JSON.stringify(p.shape)}`, ck.dir);
      assertFinite(h.data, `loss head "${k}"`, path.join(ck.dir, HEADS_FILE));
      tf.tidy(() => p.assign(tf.tensor(h.data, h.shape)));
    }
  }
  models.optimizer.load(ck.state.step, ck.optimizer, path.join(ck.dir, OPTIMIZER_FILE));
  return { ...ck.state, configHash: hash };
}
