import * as tf from '../backend/tf';
import { DistillError } from '../util/errors';

/**
 * Pooling modes in the order sentence-transformers concatenates the legacy
 * `pooling_mode_*` booleans (cls, max, mean, mean_sqrt_len).
 */
export const POOLING_MODES = ['cls', 'max', 'mean', 'mean_sqrt_len'] as const;
export type PoolingMode = (typeof POOLING_MODES)[number];

/** 2.x-5.x config keys (booleans). */
const CONFIG_KEYS: Record<PoolingMode, string> = {
  cls: 'pooling_mode_cls_token',
  max: 'pooling_mode_max_tokens',
  mean: 'pooling_mode_mean_tokens',
  mean_sqrt_len: 'pooling_mode_mean_sqrt_len_tokens',
};
/** 6.x `pooling_mode` names. */
const MODE_NAMES: Record<PoolingMode, string> = { cls: 'cls', max: 'max', mean: 'mean', mean_sqrt_len: 'mean_sqrt_len_tokens' };
const UNSUPPORTED_KEYS = ['pooling_mode_weightedmean_tokens', 'pooling_mode_lasttoken'];

export interface PoolingConfig {
  /** In concatenation order. */
  modes: PoolingMode[];
  dimension: number;
  /** false: prompt tokens are left out of pooling (sentence-transformers' include_prompt); default true. */
  includePrompt?: boolean;
}

function modeFromName(name: unknown, file: string): PoolingMode {
  const m = POOLING_MODES.find((k) => MODE_NAMES[k] === name);
  if (!m) throw new DistillError(`key "pooling_mode": unsupported mode ${JSON.stringify(name)}; supported: ${Object.values(MODE_NAMES).join(', ')}`, file);
  return m;
}

/** The modes of a 6.x `pooling_mode` (a name or a list of names), else of the legacy booleans. */
function readModes(raw: Record<string, unknown>, file: string): PoolingMode[] {
  const named = raw.pooling_mode;
  if (named !== undefined && named !== null) {
    const list = Array.isArray(named) ? named : [named];
    if (list.length === 0) throw new DistillError('key "pooling_mode" is an empty list', file);
    return list.map((n) => modeFromName(n, file));
  }
  for (const k of UNSUPPORTED_KEYS) {
    if (raw[k] === true) throw new DistillError(`pooling "${k}" is not supported; supported: ${POOLING_MODES.map((m) => CONFIG_KEYS[m]).join(', ')}`, file);
  }
  const modes = POOLING_MODES.filter((m) => raw[CONFIG_KEYS[m]] === true);
  if (modes.length === 0) {
    throw new DistillError(`no pooling mode enabled; expected "pooling_mode" (${Object.values(MODE_NAMES).join(', ')}) or one of ${Object.values(CONFIG_KEYS).join(', ')} = true`, file);
  }
  return modes;
}

/**
 * Parses a sentence-transformers `1_Pooling/config.json` of any version:
 * 2.x-5.x `word_embedding_dimension` and `pooling_mode_*` booleans, or 6.x
 * `embedding_dimension` and `pooling_mode`.
 */
export function parsePoolingConfig(raw: Record<string, unknown>, file: string): PoolingConfig {
  const modes = readModes(raw, file);
  const dimension = raw.embedding_dimension ?? raw.word_embedding_dimension;
  if (typeof dimension !== 'number') throw new DistillError('key "embedding_dimension" (or "word_embedding_dimension") must be a number', file);
  const includePrompt = raw.include_prompt ?? true;
  if (typeof includePrompt !== 'boolean') throw new DistillError('key "include_prompt" must be true or false', file);
  // includePrompt only when false, so a config's identity (fingerprints, caches) is unchanged by the default.
  return includePrompt ? { modes, dimension } : { modes, dimension, includePrompt };
}

/**
 * The 2.x format, which every version loads (6.x converts the booleans);
 * `pooling_mode` is added only for a concatenation order the booleans cannot
 * say, which only 6.x reads.
 */
export function poolingConfigToJson(p: PoolingConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { word_embedding_dimension: p.dimension };
  for (const m of POOLING_MODES) out[CONFIG_KEYS[m]] = p.modes.includes(m);
  out.pooling_mode_weightedmean_tokens = false;
  out.pooling_mode_lasttoken = false;
  out.include_prompt = p.includePrompt ?? true;
  const legacyOrder = POOLING_MODES.filter((m) => p.modes.includes(m));
  if (legacyOrder.some((m, i) => p.modes[i] !== m)) out.pooling_mode = p.modes.map((m) => MODE_NAMES[m]);
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
