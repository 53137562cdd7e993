import { planBatches } from '../data/length_batches';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { Rng } from '../util/rng';

/** Tokenised training rows with their cached teacher embeddings. */
export interface TrainData {
  /** Token ids per distinct sentence, already truncated to the student's max length. */
  ids: Int32Array[];
  /** Cached teacher embedding per distinct sentence, row-major [sentences, teacherDim]. */
  teacher: Float32Array;
  teacherDim: number;
  padId: number;
  /** Training rows as sentence indices: [i] for sentences, [q, p, n] for triplets. */
  rows: number[][];
}

/** One micro-batch as the trainer consumes it: token ids and the teacher's embedding of each row. */
export interface StepBatch {
  tokens: TokenizedBatch;
  /** Row-major [tokens.batch, teacherDim]. */
  teacher: Float32Array;
  teacherDim: number;
  /** 1 for sentences, 3 for (query, positive, negative) triplets. */
  groupSize: number;
}

/** Padded batch of the given sentences, padded to the longest of them. */
export function makeBatch(data: TrainData, sentences: number[]): StepBatch {
  const seqLen = Math.max(...sentences.map((i) => data.ids[i].length));
  const B = sentences.length;
  const inputIds = new Int32Array(B * seqLen).fill(data.padId);
  const attentionMask = new Int32Array(B * seqLen);
  const teacher = new Float32Array(B * data.teacherDim);
  sentences.forEach((i, b) => {
    inputIds.set(data.ids[i], b * seqLen);
    attentionMask.fill(1, b * seqLen, b * seqLen + data.ids[i].length);
    teacher.set(data.teacher.subarray(i * data.teacherDim, (i + 1) * data.teacherDim), b * data.teacherDim);
  });
  const tokens = { batch: B, seqLen, inputIds, attentionMask, tokenTypeIds: new Int32Array(B * seqLen), lengths: sentences.map((i) => data.ids[i].length), truncated: 0 };
  return { tokens, teacher, teacherDim: data.teacherDim, groupSize: data.rows[0]?.length ?? 1 };
}

/** Length of each training row: its longest sentence, which sets the batch's padded length. */
export function rowLengths(data: TrainData): number[] {
  return data.rows.map((r) => Math.max(...r.map((i) => data.ids[i].length)));
}

/** One epoch's batches of row indices, from the RNG state saved at the epoch's start. */
export function planEpoch(lengths: number[], batchSize: number, rngState: number, bucketed: boolean): { batches: number[][]; rngState: number } {
  const rng = new Rng(rngState);
  const batches = planBatches(lengths, batchSize, rng, bucketed);
  return { batches, rngState: rng.state };
}

/** Sentence indices of a batch of rows (a triplet row expands to its three sentences). */
export function batchSentences(data: TrainData, rows: number[]): number[] {
  return rows.flatMap((r) => data.rows[r]);
}

/** Optimizer steps of a run: per-epoch micro-batches grouped by accumulation, capped by max_steps. */
export function totalSteps(rows: number, batchSize: number, gradAccum: number, epochs: number, maxSteps?: number): number {
  const perEpoch = Math.ceil(Math.ceil(rows / batchSize) / gradAccum);
  return Math.min(maxSteps ?? Infinity, perEpoch * epochs);
}
