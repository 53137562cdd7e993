import * as fs from 'fs';
import { loadSentenceModel, disposeSentenceModel } from '../model/sentence_model';
import { resolveModel } from '../hub/resolve_model';
import { encodeSentences } from '../model/sentence_encoder';
import { readSentences } from '../data/read_sentences';
import { writeEmbeddings } from '../data/write_embeddings';
import { Progress } from '../util/progress';
import { DistillError } from '../util/errors';
import { OnnxEncoder } from '../export/onnx_encoder';
import { cachedOnnxFile } from '../export/onnx_model_cache';
import { readableSync } from '../backend/webgpu_backend';
import { SentenceModel } from '../model/sentence_model';
import { embeddingDim, EncodeResult } from '../model/sentence_encoder';

async function encodeWithOnnx(model: SentenceModel, sentences: string[], batchSize: number): Promise<EncodeResult> {
  await readableSync(model.weights.values());
  const enc = await OnnxEncoder.open(cachedOnnxFile(model));
  try {
    const r = await enc.encodeWithStats(model.tokenizer, sentences, model.maxSeqLength, batchSize);
    return { ...r, dim: embeddingDim(model), count: sentences.length };
  } finally {
    await enc.release();
  }
}

export interface EncodeFileOptions {
  model: string;
  input: string;
  output?: string;
  batchSize?: number;
  field?: string;
  quiet?: boolean;
  /** tfjs (default) or onnx: the same graph exported and run in onnxruntime-node. */
  runtime?: 'tfjs' | 'onnx';
  /** Replace an existing output file (refused otherwise: it may be the result of a long run). */
  force?: boolean;
}

export interface EncodeFileSummary {
  model: string;
  input: string;
  output: string | null;
  sentences: number;
  dim: number;
  skippedBlankLines: number;
  truncated: number;
  maxSeqLength: number;
  tokens: number;
  paddingFraction: number;
  seconds: number;
  sentencesPerSecond: number;
  /** Only when no output file is given: the embeddings themselves. */
  embeddings?: number[][];
}

/** `distill encode`: read sentences, embed them in length-sorted batches, write Arrow or JSONL. */
export async function encodeFile(opts: EncodeFileOptions): Promise<EncodeFileSummary> {
  if (opts.output && !opts.force && fs.existsSync(opts.output)) throw new DistillError('output file already exists; pass --force to overwrite it, or choose another --output', opts.output);
  const { sentences, skippedBlank } = readSentences(opts.input, opts.field);
  const model = loadSentenceModel((await resolveModel(opts.model, { where: '--model', quiet: opts.quiet })).dir);
  try {
    const progress = new Progress('encode', sentences.length, 'sent', process.stderr, opts.quiet || sentences.length < 256);
    const t0 = performance.now();
    const r = opts.runtime === 'onnx'
      ? await encodeWithOnnx(model, sentences, opts.batchSize ?? 32)
      : await encodeSentences(model, sentences, { batchSize: opts.batchSize, onProgress: (d) => progress.update(d) });
    const seconds = (performance.now() - t0) / 1000;
    if (opts.output) writeEmbeddings(opts.output, sentences, r.embeddings, r.dim);
    const summary: EncodeFileSummary = {
      model: opts.model,
      input: opts.input,
      output: opts.output ?? null,
      sentences: r.count,
      dim: r.dim,
      skippedBlankLines: skippedBlank,
      truncated: r.truncated,
      maxSeqLength: model.maxSeqLength,
      tokens: r.tokens,
      paddingFraction: 1 - r.tokens / r.paddedTokens,
      seconds,
      sentencesPerSecond: r.count / seconds,
    };
    if (!opts.output) {
      summary.embeddings = [];
      for (let i = 0; i < r.count; i++) summary.embeddings.push(Array.from(r.embeddings.subarray(i * r.dim, (i + 1) * r.dim)));
    }
    return summary;
  } finally {
    disposeSentenceModel(model);
  }
}
