import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';
import { assertFinite } from '../util/finite';
import { nativeBackend } from '../backend/native_backend';
import { ResourceAdam } from './resource_adam';

export interface AdamWOptions {
  beta1?: number;
  beta2?: number;
  eps: number;
  weightDecay: number;
  /** Parameters exempt from weight decay (LayerNorm and biases, as in BERT). */
  noDecay?: (name: string) => boolean;
  /** Use TensorFlow's fused Adam kernel when the backend is native (default true; false is the element-wise reference). */
  fused?: boolean;
}

export const noDecayForNormAndBias = (name: string) => name.endsWith('.bias') || name.includes('LayerNorm');

/**
 * AdamW with decoupled weight decay, the same arithmetic as torch.optim.AdamW:
 * p *= 1 - lr*wd; m, v moments; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
 * On TensorFlow (tfjs-node) the update is TensorFlow's fused Adam kernel on
 * resource variables (resource_adam.ts); on the pure-JS backend, element-wise
 * ops. slots() / load() move the moments in and out of checkpoints so a
 * resumed run continues the same trajectory.
 */
export class AdamW {
  /** The moments on the element-wise path; empty on the fused one, whose moments live in TensorFlow. */
  private readonly m = new Map<string, tf.Tensor>();
  private readonly v = new Map<string, tf.Tensor>();
  private readonly fused?: ResourceAdam;
  step = 0;
  private readonly b1: number;
  private readonly b2: number;

  constructor(private readonly params: Map<string, tf.Variable>, private readonly opts: AdamWOptions) {
    this.b1 = opts.beta1 ?? 0.9;
    this.b2 = opts.beta2 ?? 0.999;
    const native = opts.fused === false ? undefined : nativeBackend();
    if (native) {
      this.fused = new ResourceAdam(native, params, this.b1, this.b2);
      return;
    }
    for (const [name, p] of params) {
      this.m.set(name, tf.zerosLike(p));
      this.v.set(name, tf.zerosLike(p));
    }
  }

  private decay(name: string): number {
    return this.opts.weightDecay > 0 && !(this.opts.noDecay?.(name) ?? false) ? this.opts.weightDecay : 0;
  }

  apply(grads: Map<string, tf.Tensor>, lr: number): void {
    this.step++;
    if (this.fused) {
      this.fused.apply(this.params, grads, lr, this.step, this.b1, this.b2, this.opts.eps, (name) => lr * this.decay(name));
      return;
    }
    const bc1 = 1 - this.b1 ** this.step;
    const bc2 = 1 - this.b2 ** this.step;
    for (const [name, p] of this.params) {
      const g = grads.get(name);
      if (!g) continue;
      const decay = this.decay(name);
      const [m, v, next] = tf.tidy(() => {
        const m = this.m.get(name)!.mul(this.b1).add(g.mul(1 - this.b1));
        const v = this.v.get(name)!.mul(this.b2).add(g.square().mul(1 - this.b2));
        const denom = v.sqrt().div(Math.sqrt(bc2)).add(this.opts.eps);
        const base = decay ? p.mul(1 - lr * decay) : p;
        return [m, v, base.sub(m.div(denom).mul(lr / bc1))];
      });
      this.m.get(name)!.dispose();
      this.v.get(name)!.dispose();
      this.m.set(name, m);
      this.v.set(name, v);
      p.assign(next);
      next.dispose();
    }
  }

  /** Slots as named tensors for a checkpoint: `m.<param>`, `v.<param>`; new tensors the caller disposes. */
  slots(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const name of this.params.keys()) {
      const { m, v } = this.fused ? this.fused.moments(name) : { m: this.m.get(name)!.clone(), v: this.v.get(name)!.clone() };
      out.set(`m.${name}`, m);
      out.set(`v.${name}`, v);
    }
    return out;
  }

  /**
   * `source` names the checkpoint file in the error: slots that do not fit the
   * model, or hold NaN / Inf, are bad input, not a bug. Every slot is checked
   * before any is replaced, so a refused load leaves the optimizer as it was.
   */
  load(step: number, slots: Map<string, { shape: number[]; data: Float32Array }>, source = 'optimizer state'): void {
    for (const [name, p] of this.params) {
      for (const prefix of ['m', 'v']) {
        const s = slots.get(`${prefix}.${name}`);
        if (!s || s.shape.join() !== p.shape.join()) throw new DistillError(`optimizer slot ${prefix}.${name} missing or of shape ${JSON.stringify(s?.shape)}, expected ${JSON.stringify(p.shape)}`, source);
        assertFinite(s.data, `optimizer slot "${prefix}.${name}"`, source);
      }
    }
    this.step = step;
    if (this.fused) {
      for (const name of this.params.keys()) {
        const [m, v] = ['m', 'v'].map((prefix) => slots.get(`${prefix}.${name}`)!).map((s) => tf.tensor(s.data, s.shape));
        this.fused.setMoments(name, m, v);
        tf.dispose([m, v]);
      }
      return;
    }
    for (const name of this.params.keys()) {
      for (const [prefix, map] of [['m', this.m], ['v', this.v]] as const) {
        const s = slots.get(`${prefix}.${name}`)!;
        map.get(name)!.dispose();
        map.set(name, tf.tensor(s.data, s.shape));
      }
    }
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
    this.fused?.dispose();
  }
}
