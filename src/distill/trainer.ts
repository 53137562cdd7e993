import * as tf from '../backend/tf';
import { addMany } from '../backend/add_many';
import { SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { AdamW } from './adamw';
import { clipByGlobalNorm } from './clip_grads';
import { LossNeeds } from '../losses/distill_loss';
import { WeightedLoss } from '../losses/loss_registry';
import { batchTensors, encoderForward, studentForward } from './student_forward';
import { StepBatch } from './train_data';

export interface TrainerParts {
  /** The model being trained; its weights are (or wrap) the variables below. */
  student: SentenceModel;
  /** Trainable variables of the student, keyed by weight name. */
  variables: Map<string, tf.Variable>;
  losses: WeightedLoss[];
  optimizer: AdamW;
  /** Runs on each batch when a loss needs the teacher's hidden states or attentions. */
  teacher?: SentenceModel;
  /** Global gradient-norm clip; 0 turns clipping off. */
  maxGradNorm: number;
}

export interface StepResult {
  /** Weighted total loss, averaged over the micro-batches. */
  loss: number;
  /** Each loss's unweighted value, in the order of `losses`. */
  terms: number[];
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Sentences consumed by this step. */
  sentences: number;
}

/** A step whose loss or gradient norm is not finite: nothing was updated. */
export class NonFiniteLossError extends DistillError {
  constructor(readonly step: number, readonly detail: string) {
    super(`non-finite loss at step ${step} (${detail}); stopped before updating, no NaN weights written`);
  }
}

function mergeNeeds(losses: WeightedLoss[]): LossNeeds {
  const n: LossNeeds = {};
  for (const l of losses) for (const [k, v] of Object.entries(l.loss.needs)) if (v) n[k as keyof LossNeeds] = true;
  return n;
}

/**
 * One optimizer step at a time: forward, losses, gradients (accumulated over
 * micro-batches), clipping, the non-finite guard and AdamW. The training
 * loop, `bench:train` and tests all call `trainStep`, so what is measured
 * and tested is what trains.
 */
export class Trainer {
  private readonly params: Map<string, tf.Variable>;
  private readonly keyOf: Map<string, string>;
  private readonly needs: LossNeeds;

  constructor(readonly parts: TrainerParts) {
    this.params = new Map([...parts.variables, ...parts.losses.flatMap((l) => [...l.loss.params])]);
    this.keyOf = new Map([...this.params].map(([k, v]) => [v.name, k]));
    this.needs = mergeNeeds(parts.losses);
    if (this.needs.teacherLive && !parts.teacher) throw new DistillError('a loss needs the live teacher (hidden states or attentions) but no teacher model was given to the trainer');
  }

  /** Steps taken so far (the optimizer's count, restored on resume). */
  get step(): number {
    return this.parts.optimizer.step;
  }

  async trainStep(micro: StepBatch[], lr: number): Promise<StepResult> {
    const grads = new Map<string, tf.Tensor>();
    const terms = this.parts.losses.map(() => 0);
    let loss = 0;
    try {
      for (const b of micro) {
        const r = await this.gradients(b, micro.length);
        loss += r.loss;
        r.terms.forEach((t, i) => (terms[i] += t / micro.length));
        for (const [key, g] of r.grads) {
          const prev = grads.get(key);
          grads.set(key, prev ? prev.add(g) : g);
          if (prev) tf.dispose([prev, g]);
        }
      }
      const gradNorm = await clipByGlobalNorm(grads, this.parts.maxGradNorm);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        const detail = this.parts.losses.map((l, i) => `${l.loss.name}=${terms[i]}`).join(', ');
        throw new NonFiniteLossError(this.step + 1, `${detail}, grad norm ${gradNorm}, lr ${lr}`);
      }
      this.parts.optimizer.apply(grads, lr);
      return { loss, terms, gradNorm, sentences: micro.reduce((n, b) => n + b.tokens.batch, 0) };
    } finally {
      tf.dispose([...grads.values()]);
    }
  }

  /** Loss and gradients of one micro-batch, scaled by 1/accumulation. */
  private async gradients(b: StepBatch, accum: number): Promise<{ loss: number; terms: number[]; grads: Map<string, tf.Tensor> }> {
    const termScalars: tf.Scalar[] = [];
    const run = () => tf.tidy(() => {
      const inputs = batchTensors(b.tokens);
      const teacher = tf.tensor2d(b.teacher, [b.tokens.batch, b.teacherDim]);
      // The live teacher runs outside the gradient tape: it is a fixed target.
      const live = this.needs.teacherLive ? encoderForward(this.parts.teacher!, inputs, this.needs) : undefined;
      const targets = { embedding: teacher, hiddenStates: live?.hiddenStates, attentions: live?.attentions, attentionScores: live?.attentionScores };
      return tf.variableGrads(() => {
        const s = studentForward(this.parts.student, inputs, this.needs, b.groupSize);
        const ts = this.parts.losses.map((l) => l.loss.compute(s, targets));
        ts.forEach((t) => termScalars.push(tf.keep(t.clone())));
        return addMany(ts.map((t, i) => t.mul(this.parts.losses[i].weight))).div(accum) as tf.Scalar;
      }, [...this.params.values()]);
    });
    let out: ReturnType<typeof run>;
    try {
      out = run();
    } catch (e) {
      tf.dispose(termScalars);
      throw e;
    }
    const { value, grads } = out;
    const named = new Map(Object.entries(grads).map(([name, g]) => [this.keyOf.get(name)!, g]));
    try {
      // Asynchronous reads: the webgpu backend has no synchronous read in Node.
      const [loss, ...terms] = await Promise.all([value, ...termScalars].map(async (t) => (await t.data())[0]));
      return { loss, terms, grads: named };
    } catch (e) {
      tf.dispose([...named.values()]);
      throw e;
    } finally {
      tf.dispose([value, ...termScalars]);
    }
  }
}
