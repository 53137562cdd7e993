import { PairRecord } from '../data/dataset_spec';
import { SentenceModel } from '../model/sentence_model';
import { encodeSentences } from '../model/sentence_encoder';
import { spearman } from './spearman';

export interface StsResult {
  /** Spearman x100 of cosine similarity vs gold scores. */
  spearman: number;
  pairs: number;
}

function cosine(e: Float32Array, i: number, j: number, dim: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < dim; k++) {
    const x = e[i * dim + k];
    const y = e[j * dim + k];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.max(Math.sqrt(aa * bb), 1e-12);
}

/** Encodes each distinct sentence once, then Spearman of pair cosines against gold. */
export async function evaluateSts(model: SentenceModel, pairs: PairRecord[], batchSize = 64): Promise<StsResult> {
  const index = new Map<string, number>();
  for (const p of pairs) for (const t of [p.text_a, p.text_b]) if (!index.has(t)) index.set(t, index.size);
  const r = await encodeSentences(model, [...index.keys()], { batchSize });
  const sims = pairs.map((p) => cosine(r.embeddings, index.get(p.text_a)!, index.get(p.text_b)!, r.dim));
  return { spearman: 100 * spearman(sims, pairs.map((p) => p.score)), pairs: pairs.length };
}
