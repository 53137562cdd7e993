import { EncoderConfig, maxTokens } from '../model/encoder_config';
import { relativeBucket } from '../model/relative_position';
import { DataType, OnnxGraph } from './onnx_graph';

/**
 * MPNet's relative position bias [1, heads, L, L] for a dynamic length L.
 * The bucket of a distance j - i is fixed, so it is tabulated once here (by
 * the same float32-exact relativeBucket the tfjs encoder uses) for every
 * distance the position table allows, and the graph only looks it up:
 * Range-built (j - i) offsets index the int64 bucket table, whose buckets
 * index the learned [buckets, heads] bias table.
 */
export function relativeBiasOnnx(g: OnnxGraph, cfg: EncoderConfig, biasTable: string, ids: string): string {
  const { numBuckets, maxDistance } = cfg.relativeAttention!;
  const D = maxTokens(cfg) - 1;
  const buckets = BigInt64Array.from({ length: 2 * D + 1 }, (_, k) => BigInt(relativeBucket(k - D, numBuckets, maxDistance)));
  const bucketTable = g.initializer(g.fresh('relative_bucket_by_distance'), [2 * D + 1], buckets, DataType.INT64);
  const int64 = (name: string, v: number) => g.initializer(g.fresh(name), [], BigInt64Array.of(BigInt(v)), DataType.INT64);
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), int64('axis1', 1)]);
  const r = g.op('Range', [int64('zero', 0), seqLen, int64('one', 1)]);
  // offset[i][j] = (j - i) + D: memory minus context, shifted to index the table.
  const rel = g.op('Sub', [g.op('Unsqueeze', [r, g.ints('axis0', [0])]), g.op('Unsqueeze', [r, g.ints('axis1', [1])])]);
  const bucket = g.op('Gather', [bucketTable, g.op('Add', [rel, int64('max_distance_offset', D)])]);
  const values = g.op('Gather', [biasTable, bucket]);
  return g.op('Unsqueeze', [g.op('Transpose', [values], { perm: [2, 0, 1] }), g.ints('axis0', [0])]);
}
