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
/** Where the config's model names were resolved to (a Hub id's snapshot folder); default the names themselves. */
export interface ModelDirs {
  teacher?: string;
  /** cfg.student.model's folder; absent: the student is built from the teacher. */
  student?: string;
}

export function loadRunModels(cfg: ExperimentConfig, registry?: LossRegistry, dirs: ModelDirs = {}): RunModels {
  const owned: Array<() => void> = [];
  const dispose = () => owned.splice(0).reverse().forEach((f) => f());
  try {
    const teacher = loadSentenceModel(dirs.teacher ?? cfg.teacher.model, { pooling: cfg.teacher.pooling });
    owned.push(() => disposeSentenceModel(teacher));
    const studentDir = dirs.student ?? cfg.student.model;
    const base = studentDir ? loadSentenceModel(studentDir) : teacher;
    if (base !== teacher) owned.push(() => disposeSentenceModel(base));
    const student = buildStudent(base, cfg.student, cfg.seed);
    owned.push(() => tf.dispose([...student.variables.values()]));
    const sm = student.model.config;
    const losses = buildLosses(cfg.losses, {
      studentDim: embeddingDim(student.model), teacherDim: embeddingDim(teacher), seed: cfg.seed,
      studentLayers: sm.numHiddenLayers, teacherLayers: teacher.config.numHiddenLayers,
      studentHidden: sm.hiddenSize, teacherHidden: teacher.config.hiddenSize,
      studentHeads: sm.numAttentionHeads, teacherHeads: teacher.config.numAttentionHeads,
      // Kept layers index the teacher's only when the student was cut from it.
      keptLayers: base === teacher ? student.keptLayers ?? undefined : undefined,
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
  const live = cfg.losses.filter((_, i) => losses[i].loss.needs.teacherLive).map((l) => l.name);
  if (live.length && student.model.tokenizer.fingerprint() !== teacher.tokenizer.fingerprint()) {
    throw new DistillError(`layer-wise losses (${live.join(', ')}) run teacher and student on the same token ids, but the student's tokenizer (${student.model.dir}) differs from the teacher's (${teacher.dir}); across tokenizers use embedding-level losses (mse, cosine, ibkd, margin_mse)`, 'losses');
  }
}
