import { randomUUID } from 'crypto';
import * as tf from '../backend/tf';
import { attr, NativeBackend } from '../backend/native_backend';

/** One parameter's Adam state in TensorFlow resource variables: the parameter and both moments. */
interface Slot {
  p: tf.Tensor;
  m: tf.Tensor;
  v: tf.Tensor;
}

/**
 * Adam's moment update and parameter step as TensorFlow's fused
 * ResourceApplyAdam kernel: one pass over each parameter, updated in place,
 * instead of ~14 element-wise ops that each allocate and write a full-size
 * tensor (on the quickstart shape the optimizer was ~30% of a step). The
 * kernel only exists on resource variables, so each parameter and its two
 * moments live in one each; the tfjs variable is re-pointed at the updated
 * buffer after every step (no copy). Decayed parameters are updated in place;
 * the others are copied once by TensorFlow first, since the tfjs variable
 * still shares their buffer (they are the small biases and LayerNorm weights).
 *
 * Bias correction is folded into the scalars so the numbers are torch's:
 * with beta powers 0 the kernel's step size is exactly `alpha`, and
 *   lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) = (lr*sqrt(bc2)/bc1) * m / (sqrt(v) + eps*sqrt(bc2)).
 */
export class ResourceAdam {
  private readonly slots = new Map<string, Slot>();
  private readonly consts: { zero: tf.Scalar; b1: tf.Scalar; b2: tf.Scalar };

  constructor(private readonly backend: NativeBackend, params: Map<string, tf.Variable>, b1: number, b2: number) {
    this.consts = { zero: tf.scalar(0), b1: tf.scalar(b1), b2: tf.scalar(b2) };
    // Resource names are global to the TensorFlow context: unique per optimizer.
    const uid = `adamw_${randomUUID()}`;
    let i = 0;
    for (const [name, p] of params) {
      const make = (part: string, init: tf.Tensor) => {
        const h = this.op('VarHandleOp', [this.str('container', ''), this.str('shared_name', `${uid}_${i}_${part}`), this.dtype(), this.shape(p.shape)], []);
        this.assign(h, init);
        return h;
      };
      const zeros = tf.zerosLike(p);
      this.slots.set(name, { p: make('p', p), m: make('m', zeros), v: make('v', zeros) });
      zeros.dispose();
      i++;
    }
  }

  /**
   * One step for every parameter with a gradient. `decay(name)` is the
   * decoupled weight-decay factor lr*wd (0 for none), applied first as torch does.
   */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, step: number, b1: number, b2: number, eps: number, decay: (name: string) => number): void {
    const bc1 = 1 - b1 ** step;
    const bc2 = 1 - b2 ** step;
    const alpha = tf.scalar((lr * Math.sqrt(bc2)) / bc1);
    const epsHat = tf.scalar(eps * Math.sqrt(bc2));
    const { zero, b1: b1t, b2: b2t } = this.consts;
    try {
      for (const [name, p] of params) {
        const g = grads.get(name);
        if (!g) continue;
        const s = this.slots.get(name)!;
        const d = decay(name);
        // Written from the tfjs variable each step, so a weight load or assign elsewhere is honoured.
        // A decayed copy is disposed at once, leaving the resource its only owner: updated in place.
        const src = d ? p.mul(1 - d) : p;
        this.assign(s.p, src);
        if (src !== p) src.dispose();
        this.run('ResourceApplyAdam', [this.dtype('T'), this.bool('use_locking', false), this.bool('use_nesterov', false)], [s.p, s.m, s.v, zero, zero, alpha, b1t, b2t, epsHat, g]);
        const next = this.read(s.p);
        p.assign(next);
        next.dispose();
      }
    } finally {
      tf.dispose([alpha, epsHat]);
    }
  }

  /** The current moments of one parameter, as new tensors the caller disposes. */
  moments(name: string): { m: tf.Tensor; v: tf.Tensor } {
    const s = this.slots.get(name)!;
    return { m: this.read(s.m), v: this.read(s.v) };
  }

  /** Replaces one parameter's moments (a resumed run). */
  setMoments(name: string, m: tf.Tensor, v: tf.Tensor): void {
    const s = this.slots.get(name)!;
    this.assign(s.m, m);
    this.assign(s.v, v);
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      for (const h of [s.p, s.m, s.v]) {
        this.run('DestroyResourceOp', [this.bool('ignore_lookup_error', true)], [h]);
        h.dispose();
      }
    }
    this.slots.clear();
    tf.dispose(Object.values(this.consts));
  }

  private read(h: tf.Tensor): tf.Tensor {
    return this.op('ReadVariableOp', [this.dtype()], [h]);
  }

  private assign(h: tf.Tensor, value: tf.Tensor): void {
    this.run('AssignVariableOp', [this.dtype(), this.bool('validate_shape', false)], [h, value]);
  }

  private op(name: string, attrs: unknown[], inputs: tf.Tensor[]): tf.Tensor {
    return this.backend.executeSingleOutput(name, attrs, inputs);
  }

  private run(name: string, attrs: unknown[], inputs: tf.Tensor[]): void {
    this.backend.executeMultipleOutputs(name, attrs, inputs, 0);
  }

  private dtype(name = 'dtype') {
    return attr.float32(this.backend, name);
  }

  private str(name: string, value: string) {
    return attr.string(this.backend, name, value);
  }

  private bool(name: string, value: boolean) {
    return attr.bool(this.backend, name, value);
  }

  private shape(value: number[]) {
    return attr.shape(this.backend, 'shape', value);
  }
}
