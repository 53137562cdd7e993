import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';

/** Pooling modes in the order sentence-transformers concatenates them. */
export const POOLING_MODES = ['cls', 'mean', 'max', 'mean_sqrt_len'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

const CONFIG_KEYS: Record<PoolingMode, string> = {
  cls: 'pooling_mode_cls_token',
  mean: 'pooling_mode_mean_tokens',
  max: 'pooling_mode_max_tokens',
  mean_sqrt_len: 'pooling_mode_mean_sqrt_len_tokens',
};
const UNSUPPORTED_KEYS = ['pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken'];

export interface PoolingConfig {
  modes: PoolingMode[];
  dimension: number;
}

/** Parses a sentence-transformers `1_Pooling/config.json`. */
export function parsePoolingConfig(raw: Record<string, unknown>, file: string): PoolingConfig {
  for (const k of UNSUPPORTED_KEYS) {
    if (raw[k] === true) throw new DistillError(`pooling "${k}" is not supported; supported: ${POOLING_MODES.join(', ')}`, file);
  }
  const modes = POOLING_MODES.filter((m) => raw[CONFIG_KEYS[m]] === true);
  if (modes.length === 0) throw new DistillError(`no pooling mode enabled; expected one of ${Object.values(CONFIG_KEYS).join(', ')} = true`, file);
  const dimension = raw.word_embedding_dimension;
  if (typeof dimension !== 'number') throw new DistillError('key "word_embedding_dimension" must be a number', file);
  return { modes, dimension };
}

export function poolingConfigToJson(p: PoolingConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { word_embedding_dimension: p.dimension };
  for (const m of POOLING_MODES) out[CONFIG_KEYS[m]] = p.modes.includes(m);
  out.pooling_mode_weightedmean_tokens = false;
  out.pooling_mode_lasttoken = false;
  out.include_prompt = true;
  return out;
}

/** Masked mean over tokens: sum(m*h)/max(sum(m), 1e-9), the formula in losses.md. */
export function meanPool(h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask.cast('float32').expandDims(2);
    return h.mul(m).sum(1).div(m.sum(1).maximum(1e-9)) as tf.Tensor2D;
  });
}

function poolOne(mode: PoolingMode, h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const m = mask.cast('float32').expandDims(2);
    switch (mode) {
      case 'cls':
        return h.slice([0, 0, 0], [-1, 1, -1]).squeeze([1]) as tf.Tensor2D;
      case 'mean':
        return meanPool(h, mask);
      case 'max':
        // Padding set to -1e9 so it never wins the max, as sentence-transformers does.
        return h.add(tf.sub(1, m).mul(-1e9)).max(1) as tf.Tensor2D;
      case 'mean_sqrt_len':
        return h.mul(m).sum(1).div(m.sum(1).maximum(1e-9).sqrt()) as tf.Tensor2D;
    }
  });
}

export function pool(cfg: PoolingConfig, h: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  if (cfg.modes.length === 1) return poolOne(cfg.modes[0], h, mask);
  return tf.tidy(() => tf.concat(cfg.modes.map((m) => poolOne(m, h, mask)), 1) as tf.Tensor2D);
}

/** L2 normalisation as torch.nn.functional.normalize (eps 1e-12). */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => x.div(x.norm('euclidean', 1, true).maximum(1e-12)) as tf.Tensor2D);
}
