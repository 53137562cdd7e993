import * as tf from '../backend/tf';
import { EncoderConfig } from './encoder_config';
import { BertWeights, RELATIVE_BIAS } from './bert_weights';

const f = Math.fround;

/**
 * The bucket of a relative position (memory - context), as MPNet's
 * relative_position_bucket computes it: exact buckets for |d| < numBuckets/4,
 * log-spaced ones up to maxDistance, a separate half for each sign. The
 * arithmetic is rounded to float32 at every step, as PyTorch does it, so a
 * distance on a bucket boundary lands where it lands there.
 */
export function relativeBucket(relative: number, numBuckets: number, maxDistance: number): number {
  const half = Math.floor(numBuckets / 2);
  let n = -relative;
  const ret = n < 0 ? half : 0;
  n = Math.abs(n);
  const maxExact = Math.floor(half / 2);
  if (n < maxExact) return ret + n;
  const scaled = f(f(f(Math.log(f(n / maxExact))) / f(Math.log(maxDistance / maxExact))) * (half - maxExact));
  return ret + Math.min(maxExact + Math.trunc(scaled), half - 1);
}

/** Bucket ids for every (query i, key j) of a length-L sequence, row-major [L, L]. */
export function bucketMatrix(cfg: EncoderConfig, L: number): Int32Array {
  const { numBuckets, maxDistance } = cfg.relativeAttention!;
  const out = new Int32Array(L * L);
  for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) out[i * L + j] = relativeBucket(j - i, numBuckets, maxDistance);
  return out;
}

/** The bias [1, heads, L, L] every layer adds to its attention scores. */
export function relativePositionBias(cfg: EncoderConfig, weights: BertWeights, L: number): tf.Tensor4D {
  return tf.tidy(() => {
    const table = weights.get(RELATIVE_BIAS);
    if (!table) throw new Error(`weight "${RELATIVE_BIAS}" is missing`);
    const ids = tf.tensor1d(bucketMatrix(cfg, L), 'int32');
    return tf.gather(table, ids).reshape([L, L, cfg.numAttentionHeads]).transpose([2, 0, 1]).expandDims(0) as tf.Tensor4D;
  });
}
