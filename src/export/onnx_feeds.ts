import * as ort from 'onnxruntime-node';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';

/**
 * int64 feeds for the inputs a session declares: an exported graph has
 * token_type_ids only where the model uses them (export/bert_onnx
 * onnxInputs), and onnxruntime rejects a feed the graph does not name.
 */
export function onnxFeeds(inputNames: readonly string[], b: TokenizedBatch): Record<string, ort.Tensor> {
  const t = (a: Int32Array) => new ort.Tensor('int64', BigInt64Array.from(a, (x) => BigInt(x)), [b.batch, b.seqLen]);
  const all: Record<string, () => ort.Tensor> = { input_ids: () => t(b.inputIds), attention_mask: () => t(b.attentionMask), token_type_ids: () => t(b.tokenTypeIds) };
  return Object.fromEntries(inputNames.map((n) => [n, all[n]?.() ?? t(new Int32Array(b.batch * b.seqLen))]));
}
