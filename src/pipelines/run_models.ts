import * as tf from '../backend/tf';
import { ExperimentConfig } from '../config/experiment_config';
import { AdamW, noDecayForNormAndBias } from '../distill/adamw';
import { buildStudent, Student } from '../distill/build_student';
import { buildLosses, LossRegistry, WeightedLoss } from '../losses/loss_registry';
import { Trainer } from '../distill/trainer';
import { embeddingDim } from '../model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';

/** Every tensor-holding part of a run; `dispose()` frees them all, on any path. */
export interface RunModels {
  teacher: SentenceModel;
  student: Student;
  losses: WeightedLoss[];
  optimizer: AdamW;
  trainer: Trainer;
  dispose(): void;
}

/**
 * Teacher, student, losses (with their projection heads), optimizer and
 * trainer, checked against the data kind and each other. A failure part-way
 * disposes what was already built.
 */
/** `teacherDir`: where cfg.teacher.model was resolved to (a Hub id's snapshot folder). */
export function loadRunModels(cfg: ExperimentConfig, registry?: LossRegistry, teacherDir = cfg.teacher.model): RunModels {
  const owned: Array<() => void> = [];
  const dispose = () => owned.splice(0).reverse().forEach((f) => f());
  try {
    const teacher = loadSentenceModel(teacherDir, { pooling: cfg.teacher.pooling });
    owned.push(() => disposeSentenceModel(teacher));
    const student = buildStudent(teacher, cfg.student, cfg.seed);
    owned.push(() => tf.dispose([...student.variables.values()]));
    const sm = student.model.config;
    const losses = buildLosses(cfg.losses, {
      studentDim: embeddingDim(student.model), teacherDim: embeddingDim(teacher), seed: cfg.seed,
      studentLayers: sm.numHiddenLayers, teacherLayers: teacher.config.numHiddenLayers,
      studentHidden: sm.hiddenSize, teacherHidden: teacher.config.hiddenSize,
      studentHeads: sm.numAttentionHeads, teacherHeads: teacher.config.numAttentionHeads,
      keptLayers: student.keptLayers ?? undefined,
    }, registry);
    owned.push(() => losses.forEach((l) => tf.dispose([...l.loss.params.values()])));
    checkLossesFitData(cfg, losses, student, teacher);
    const optimizer = new AdamW(new Map([...student.variables, ...losses.flatMap((l) => [...l.loss.params])]), {
      eps: cfg.train.adam_eps, weightDecay: cfg.train.weight_decay, noDecay: noDecayForNormAndBias,
    });
    owned.push(() => optimizer.dispose());
    const trainer = new Trainer({ student: student.model, variables: student.variables, losses, optimizer, teacher, maxGradNorm: cfg.train.max_grad_norm });
    return { teacher, student, losses, optimizer, trainer, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

function checkLossesFitData(cfg: ExperimentConfig, losses: WeightedLoss[], student: Student, teacher: SentenceModel): void {
  const needsTriplets = losses.some((l) => l.loss.needs.triplets);
  if (needsTriplets !== (cfg.data.train.kind === 'triplets')) {
    throw new DistillError(needsTriplets
      ? `margin_mse trains on (query, positive, negative) rows; data.train.kind is "${cfg.data.train.kind}", expected "triplets"`
      : 'data.train.kind "triplets" needs a triplet loss (margin_mse) in losses', 'data.train.kind');
  }
  if (losses.some((l) => l.loss.needs.teacherLive) && student.model.tokenizer.fingerprint() !== teacher.tokenizer.fingerprint()) {
    throw new DistillError('layer-wise losses run teacher and student on the same token ids, but their tokenizers differ', 'losses');
  }
}
