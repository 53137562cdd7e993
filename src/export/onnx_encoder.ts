import * as ort from 'onnxruntime-node';
import { onnxFeeds } from './onnx_feeds';
import { SentenceTokenizer, TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { tokenPlan } from '../tokenizer/token_batches';

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
    // The same batches as encodeSentences (tokenPlan): both runtimes give a sentence the same batch mates.
    const plan = tokenPlan(tok, sentences, maxLength, batchSize);
    let truncated = 0;
    let done = 0;
    let out: Float32Array | undefined;
    let dim = this.dim;
    for (let bi = 0; bi < plan.batches.length; bi++) {
      opts.signal?.throwIfAborted();
      const idx = plan.batches[bi];
      const b = plan.padded(bi);
      truncated += b.truncated;
      const { data, dim: d } = await this.embedBatch(b);
      dim = d;
      out ??= new Float32Array(sentences.length * dim);
      idx.forEach((orig, row) => out!.set(data.subarray(row * dim, (row + 1) * dim), orig * dim));
      done += idx.length;
      opts.onProgress?.(done, sentences.length);
    }
    const { tokens, paddedTokens } = plan;
    return { embeddings: out ?? new Float32Array(0), tokens, paddedTokens, truncated };
  }

  /** Embeddings [batch, dim] of one padded batch, row-major. */
  async embedBatch(b: TokenizedBatch): Promise<{ data: Float32Array; dim: number }> {
    const e = (await this.session.run(onnxFeeds(this.session.inputNames, b), ['sentence_embedding'])).sentence_embedding;
    return { data: e.data as Float32Array, dim: e.dims[1] as number };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
