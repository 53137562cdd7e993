import * as path from 'path';
import * as tf from '../backend/tf';
import { ExperimentConfig } from '../config/experiment_config';
import { PairRecord } from '../data/dataset_spec';
import { planBatches } from '../data/length_batches';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { evaluateSts } from '../eval/sts_eval';
import { DistillError } from '../util/errors';
import { Progress } from '../util/progress';
import { Rng } from '../util/rng';
import { AdamW } from './adamw';
import { Student } from './build_student';
import { checkpointDir, pruneCheckpoints, saveCheckpoint } from './checkpoint';
import { clipByGlobalNorm } from './clip_grads';
import { WeightedLoss } from './losses/loss_registry';
import { warmupLinear } from './lr_schedule';
import { MetricsLog } from './metrics_log';
import { batchTensors, encoderForward, studentForward } from './student_forward';
import { LossNeeds } from './losses/distill_loss';
import { SentenceModel } from '../model/sentence_model';
import { TrainingState } from './training_state';

export interface TrainData {
  /** Token ids per distinct sentence, already truncated to the student's max length. */
  ids: Int32Array[];
  /** Cached teacher embedding per distinct sentence. */
  teacher: Float32Array;
  teacherDim: number;
  padId: number;
  /** Training rows as sentence indices: [i] for sentences, [q, p, n] for triplets. */
  rows: number[][];
}

export interface TrainerArgs {
  cfg: ExperimentConfig;
  student: Student;
  losses: WeightedLoss[];
  data: TrainData;
  /** Runs on each batch when a loss needs the teacher's hidden states or attentions. */
  teacherModel?: SentenceModel;
  dev?: PairRecord[];
  runDir: string;
  state: TrainingState;
  optimizer: AdamW;
  metrics: MetricsLog;
  quiet?: boolean;
  log: (line: string) => void;
  onStep?: (step: number) => void;
}

export interface TrainResult {
  state: TrainingState;
  seconds: number;
  sentencesPerSecond: number;
  totalSteps: number;
  lastLoss: number;
}

function makeBatch(data: TrainData, idx: number[]): TokenizedBatch {
  // idx: sentence indices
  const seqLen = Math.max(...idx.map((i) => data.ids[i].length));
  const B = idx.length;
  const inputIds = new Int32Array(B * seqLen).fill(data.padId);
  const attentionMask = new Int32Array(B * seqLen);
  idx.forEach((i, b) => {
    inputIds.set(data.ids[i], b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + data.ids[i].length);
  });
  return { batch: B, seqLen, inputIds, attentionMask, tokenTypeIds: new Int32Array(B * seqLen), lengths: idx.map((i) => data.ids[i].length), truncated: 0 };
}

function mergeNeeds(losses: WeightedLoss[]): LossNeeds {
  const n: LossNeeds = {};
  for (const l of losses) for (const [k, v] of Object.entries(l.loss.needs)) if (v) n[k as keyof LossNeeds] = true;
  return n;
}

export function totalSteps(cfg: ExperimentConfig, rows: number): number {
  // rows: training rows (sentences, or triplets)
  const perEpoch = Math.ceil(Math.ceil(rows / cfg.train.batch_size) / cfg.train.grad_accum);
  return Math.min(cfg.train.max_steps ?? Infinity, perEpoch * cfg.train.epochs);
}

/**
 * The training loop: bucketed seeded batches, AdamW with warmup-linear
 * decay, clipping, accumulation, periodic evaluation and atomic checkpoints.
 * Resumes from `state` exactly: the epoch's batch plan is rebuilt from the
 * RNG state saved at the epoch's start and the cursor skips what was done.
 */
export async function train(a: TrainerArgs): Promise<TrainResult> {
  const { cfg, student, data, state, optimizer } = a;
  const tc = cfg.train;
  const total = totalSteps(cfg, data.rows.length);
  const warmup = Math.round(total * tc.warmup_ratio);
  const lengths = data.rows.map((r) => Math.max(...r.map((i) => data.ids[i].length)));
  const params = new Map<string, tf.Variable>([...student.variables, ...a.losses.flatMap((l) => [...l.loss.params])]);
  const byVarName = new Map([...params].map(([k, v]) => [v.name, k]));
  const needs = mergeNeeds(a.losses);
  const teacherNeeds = { hiddenStates: needs.hiddenStates, attentions: needs.attentions, attentionScores: needs.attentionScores };
  if (needs.teacherLive && !a.teacherModel) throw new Error('a loss needs the live teacher but none was given');
  const groupSize = data.rows[0]?.length ?? 1;
  const progress = new Progress('train', Math.max(0, total - state.step), 'step', process.stderr, a.quiet);
  const t0 = performance.now();
  const startSentences = state.sentencesSeen;
  const startStep = state.step;
  let lastLoss = NaN;
  let window = { loss: 0, terms: a.losses.map(() => 0), n: 0 };

  const saveCkpt = (dir: string) =>
    saveCheckpoint(dir, student.model, state, optimizer.slots(), new Map(a.losses.flatMap((l) => [...l.loss.params])));

  const evaluate = async () => {
    if (!a.dev) return;
    const r = await evaluateSts(student.model, a.dev);
    state.evals.push({ step: state.step, spearman: r.spearman });
    a.metrics.append({ step: state.step, eval_spearman: r.spearman });
    const best = !state.best || r.spearman > state.best.spearman;
    if (best) state.best = { step: state.step, spearman: r.spearman };
    a.log(`eval step ${state.step}: STS dev Spearman ${r.spearman.toFixed(2)}${best ? ' (best)' : ''}`);
    if (best) saveCkpt(path.join(a.runDir, 'best'));
  };

  outer: while (state.epoch < tc.epochs && state.step < total) {
    const rng = new Rng(state.epochRngState);
    const batches = planBatches(lengths, tc.batch_size, rng, tc.bucketed);
    // planBatches groups row indices; each row expands to its sentences.
    state.rngState = rng.state;
    while (state.batchInEpoch < batches.length) {
      const micro = batches.slice(state.batchInEpoch, state.batchInEpoch + tc.grad_accum);
      const lr = warmupLinear(state.step, tc.lr, warmup, total);
      const grads = new Map<string, tf.Tensor>();
      let stepLoss = 0;
      const stepTerms = a.losses.map(() => 0);
      for (const rowIdx of micro) {
        const idx = rowIdx.flatMap((r) => data.rows[r]);
        const b = makeBatch(data, idx);
        const termScalars: tf.Scalar[] = [];
        const { value, grads: g } = tf.tidy(() => {
          const inputs = batchTensors(b);
          const rows = new Float32Array(idx.length * data.teacherDim);
          idx.forEach((i, r) => rows.set(data.teacher.subarray(i * data.teacherDim, (i + 1) * data.teacherDim), r * data.teacherDim));
          const teacher = tf.tensor2d(rows, [idx.length, data.teacherDim]);
          // The live teacher runs outside the gradient tape: it is a fixed target.
          const live = needs.teacherLive ? encoderForward(a.teacherModel!, inputs, teacherNeeds) : undefined;
          const targets = { embedding: teacher, hiddenStates: live?.hiddenStates, attentions: live?.attentions, attentionScores: live?.attentionScores };
          return tf.variableGrads(() => {
            const s = studentForward(student.model, inputs, needs, groupSize);
            const terms = a.losses.map((l) => l.loss.compute(s, targets));
            terms.forEach((t) => termScalars.push(tf.keep(t.clone())));
            return tf.addN(terms.map((t, i) => t.mul(a.losses[i].weight))).div(micro.length) as tf.Scalar;
          }, [...params.values()]);
        });
        stepLoss += value.dataSync()[0];
        termScalars.forEach((t, i) => (stepTerms[i] += t.dataSync()[0] / micro.length));
        tf.dispose([value, ...termScalars]);
        for (const [vn, t] of Object.entries(g)) {
          const key = byVarName.get(vn)!;
          const prev = grads.get(key);
          if (prev) {
            grads.set(key, prev.add(t));
            tf.dispose([prev, t]);
          } else grads.set(key, t);
        }
      }
      const norm = clipByGlobalNorm(grads, tc.max_grad_norm);
      if (!Number.isFinite(stepLoss) || !Number.isFinite(norm)) {
        tf.dispose([...grads.values()]);
        const terms = a.losses.map((l, i) => `${l.loss.name}=${stepTerms[i]}`).join(', ');
        throw new DistillError(`non-finite loss at step ${state.step + 1} (${terms}, grad norm ${norm}, lr ${lr}); stopped before updating, no NaN weights written. ` +
          `Last checkpoint: ${a.runDir}/checkpoints. Lower train.lr or check the data.`);
      }
      optimizer.apply(grads, lr);
      tf.dispose([...grads.values()]);
      state.step++;
      state.batchInEpoch += micro.length;
      state.sentencesSeen += micro.reduce((n, m) => n + m.length, 0) * groupSize;
      lastLoss = stepLoss;
      window.loss += stepLoss;
      stepTerms.forEach((t, i) => (window.terms[i] += t));
      window.n++;
      const sps = (state.sentencesSeen - startSentences) / ((performance.now() - t0) / 1000);
      if (state.step % tc.log_every === 0 || state.step === total) {
        const entry: Record<string, number> = { step: state.step, epoch: state.epoch, lr, loss: window.loss / window.n, grad_norm: norm, sentences_per_second: sps };
        a.losses.forEach((l, i) => (entry[`loss/${l.loss.name}`] = window.terms[i] / window.n));
        a.metrics.append(entry);
        window = { loss: 0, terms: a.losses.map(() => 0), n: 0 };
      }
      const fields: Record<string, number | string> = { loss: stepLoss, lr: lr.toExponential(2), 'sent/s': sps };
      progress.update(state.step - startStep, fields);
      if (tc.eval_every > 0 && state.step % tc.eval_every === 0) await evaluate();
      if (cfg.checkpoint.every > 0 && state.step % cfg.checkpoint.every === 0) {
        saveCkpt(checkpointDir(a.runDir, state.step));
        pruneCheckpoints(a.runDir, cfg.checkpoint.keep_last);
      }
      a.onStep?.(state.step);
      // Let pending I/O (MLflow requests) progress: tensor ops are synchronous and would starve it.
      await new Promise((r) => setImmediate(r));
      if (state.step >= total) break outer;
    }
    state.epoch++;
    state.batchInEpoch = 0;
    state.epochRngState = state.rngState;
  }
  if (!state.evals.some((e) => e.step === state.step)) await evaluate();
  saveCkpt(checkpointDir(a.runDir, state.step));
  pruneCheckpoints(a.runDir, cfg.checkpoint.keep_last);
  const seconds = (performance.now() - t0) / 1000;
  return { state, seconds, sentencesPerSecond: (state.sentencesSeen - startSentences) / seconds, totalSteps: total, lastLoss };
}
