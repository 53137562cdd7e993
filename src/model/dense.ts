import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../backend/tf';
import { ACTIVATIONS } from './activations';
import { readSafetensors, writeSafetensors } from './safetensors';
import { DistillError } from '../util/errors';
import { transpose2d } from './bert_weights';

/** The activations a Dense module may name, by torch class name. */
export const DENSE_ACTIVATIONS = ['Tanh', 'Identity', 'ReLU', 'Sigmoid', 'GELU'] as const;
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

/** A sentence-transformers `models.Dense`: linear layer plus activation on the sentence embedding. */
export interface DenseConfig {
  inFeatures: number;
  outFeatures: number;
  bias: boolean;
  activation: DenseActivation;
  /** The torch path as the config names it (`torch.nn.modules.activation.Tanh`), written back unchanged. */
  activationRef: string;
}

/** Weight names in the model's weight map: `dense.<i>.linear.weight` ([in, out]) and `.bias`. */
export function denseWeightName(i: number, part: 'weight' | 'bias'): string {
  return `dense.${i}.linear.${part}`;
}

export function isDenseWeight(name: string): boolean {
  return name.startsWith('dense.');
}

function parseActivation(ref: unknown, file: string): DenseActivation {
  // sentence-transformers imports any torch.nn class by path; these are the ones we compute.
  const cls = typeof ref === 'string' && ref.startsWith('torch.nn.') ? ref.slice(ref.lastIndexOf('.') + 1) : undefined;
  const act = DENSE_ACTIVATIONS.find((a) => a === cls);
  if (!act) throw new DistillError(`key "activation_function": unsupported ${JSON.stringify(ref)}; supported: torch.nn ${DENSE_ACTIVATIONS.join(', ')}`, file);
  return act;
}

/** Parses `<k>_Dense/config.json`; what we cannot compute (residuals, other inputs) is refused by key. */
export function parseDenseConfig(raw: Record<string, unknown>, file: string): DenseConfig {
  const int = (k: string) => {
    const v = raw[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new DistillError(`key "${k}" must be a positive integer`, file);
    return v;
  };
  for (const k of ['module_input_name', 'module_output_name']) {
    if (raw[k] !== undefined && raw[k] !== null && raw[k] !== 'sentence_embedding') {
      throw new DistillError(`key "${k}": only "sentence_embedding" is supported, got ${JSON.stringify(raw[k])}`, file);
    }
  }
  if (raw.use_residual === true) throw new DistillError('key "use_residual": residual Dense modules are not supported', file);
  const bias = raw.bias ?? true;
  if (typeof bias !== 'boolean') throw new DistillError('key "bias" must be true or false', file);
  const activationRef = (raw.activation_function as string | undefined) ?? 'torch.nn.modules.activation.Tanh';
  return { inFeatures: int('in_features'), outFeatures: int('out_features'), bias, activation: parseActivation(activationRef, file), activationRef };
}

export function denseConfigToJson(c: DenseConfig): Record<string, unknown> {
  return { in_features: c.inFeatures, out_features: c.outFeatures, bias: c.bias, activation_function: c.activationRef };
}

/** Reads `<dir>/model.safetensors` (`linear.weight` [out, in], `linear.bias`) as [in, out] tensors named for module i. */
export function loadDenseWeights(dir: string, cfg: DenseConfig, i: number): Map<string, tf.Tensor> {
  const file = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(file)) {
    const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin'));
    throw new DistillError(bin ? 'only pytorch_model.bin found; re-save the model with sentence-transformers >= 3 (model.save(dir), safetensors by default)' : 'missing model.safetensors of the Dense module', dir);
  }
  const raw = readSafetensors(file);
  const get = (name: string, shape: number[]) => {
    const t = raw.get(name);
    if (!t) throw new DistillError(`missing tensor "${name}" (expected shape ${JSON.stringify(shape)})`, file);
    if (t.dtype !== 'float32') throw new DistillError(`tensor "${name}" is ${t.dtype}, expected a float type`, file);
    if (t.shape.join(',') !== shape.join(',')) throw new DistillError(`shape mismatch for tensor "${name}": file has ${JSON.stringify(t.shape)}, config.json implies ${JSON.stringify(shape)}`, file);
    return t.data as Float32Array;
  };
  const { inFeatures: n, outFeatures: m } = cfg;
  // Both checked before any tensor exists, so a bad file leaks nothing.
  const w = get('linear.weight', [m, n]);
  const b = cfg.bias ? get('linear.bias', [m]) : undefined;
  const out = new Map<string, tf.Tensor>();
  out.set(denseWeightName(i, 'weight'), tf.tidy(() => tf.tensor2d(w, [m, n]).transpose()));
  if (b) out.set(denseWeightName(i, 'bias'), tf.tensor1d(b));
  return out;
}

/** Writes module i's weights in the torch layout sentence-transformers loads. */
export function saveDenseWeights(dir: string, weights: Map<string, tf.Tensor>, cfg: DenseConfig, i: number): void {
  const w = weights.get(denseWeightName(i, 'weight'))!;
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  // Transposed on the CPU: a device transpose would be a new tensor, which webgpu cannot read synchronously.
  const wt = transpose2d({ dtype: 'float32', shape: w.shape, data: w.dataSync() as Float32Array });
  out.set('linear.weight', { shape: [cfg.outFeatures, cfg.inFeatures], data: wt.data as Float32Array });
  if (cfg.bias) out.set('linear.bias', { shape: [cfg.outFeatures], data: Float32Array.from(weights.get(denseWeightName(i, 'bias'))!.dataSync() as Float32Array) });
  writeSafetensors(path.join(dir, 'model.safetensors'), out);
}

const APPLY: Record<DenseActivation, (x: tf.Tensor2D) => tf.Tensor2D> = {
  Tanh: (x) => tf.tanh(x),
  Identity: (x) => x,
  ReLU: (x) => tf.relu(x),
  Sigmoid: (x) => tf.sigmoid(x),
  GELU: (x) => ACTIVATIONS.gelu(x) as tf.Tensor2D,
};

/** activation(x W + b) for module i. */
export function denseForward(cfg: DenseConfig, weights: Map<string, tf.Tensor>, i: number, x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    let y: tf.Tensor2D = tf.matMul(x, weights.get(denseWeightName(i, 'weight')) as tf.Tensor2D);
    if (cfg.bias) y = y.add(weights.get(denseWeightName(i, 'bias'))!) as tf.Tensor2D;
    return APPLY[cfg.activation](y);
  });
}
