import * as ort from 'onnxruntime-node';
import { onnxFeeds } from './onnx_feeds';
import { SentenceTokenizer, tokenizeBatch } from '../tokenizer/sentence_tokenizer';

/** Sentence embeddings from an exported ONNX file in onnxruntime-node, batched like `encode`. */
export class OnnxEncoder {
  private constructor(private readonly session: ort.InferenceSession, readonly dim: number) {}

  static async open(file: string, threads?: number): Promise<OnnxEncoder> {
    const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads ?? 0, graphOptimizationLevel: 'all' });
    const dims = (session.outputMetadata as unknown as Array<{ name: string; shape?: Array<number | string> }>)
      .find((o) => o.name === 'sentence_embedding')?.shape;
    return new OnnxEncoder(session, typeof dims?.[1] === 'number' ? dims[1] : -1);
  }

  async encode(tok: SentenceTokenizer, sentences: string[], maxLength: number, batchSize = 32): Promise<Float32Array> {
    return (await this.encodeWithStats(tok, sentences, maxLength, batchSize)).embeddings;
  }

  /**
   * Embeddings plus the token counts of the batches that produced them.
   * `progress` is reported and `signal` checked between batches, as `encodeSentences` does.
   */
  async encodeWithStats(tok: SentenceTokenizer, sentences: string[], maxLength: number, batchSize = 32, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}):
    Promise<{ embeddings: Float32Array; tokens: number; paddedTokens: number; truncated: number }> {
    let tokens = 0, paddedTokens = 0, truncated = 0;
    const order = sentences.map((_, i) => i).sort((a, b) => sentences[b].length - sentences[a].length);
    let out: Float32Array | undefined;
    let dim = this.dim;
    for (let s = 0; s < order.length; s += batchSize) {
      opts.signal?.throwIfAborted();
      const idx = order.slice(s, s + batchSize);
      const b = tokenizeBatch(tok, idx.map((i) => sentences[i]), maxLength);
      tokens += b.lengths.reduce((a, x) => a + x, 0);
      paddedTokens += b.batch * b.seqLen;
      truncated += b.truncated;
      const r = await this.session.run(onnxFeeds(this.session.inputNames, b), ['sentence_embedding']);
      const e = r.sentence_embedding;
      dim = e.dims[1] as number;
      out ??= new Float32Array(sentences.length * dim);
      const data = e.data as Float32Array;
      idx.forEach((orig, row) => out!.set(data.subarray(row * dim, (row + 1) * dim), orig * dim));
      opts.onProgress?.(Math.min(s + batchSize, order.length), order.length);
    }
    return { embeddings: out ?? new Float32Array(0), tokens, paddedTokens, truncated };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
