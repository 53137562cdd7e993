import * as path from 'path';
import { PairRecord } from '../data/dataset_spec';
import { SentenceModel } from '../model/sentence_model';
import { encodeSentences } from '../model/sentence_encoder';
import { loadPairs } from './pair_file';
import { checkGoldScores, spearman } from './spearman';
import { cosineAt } from './cosine';

export interface FileResult {
  file: string;
  pairs: number;
  /** Spearman x100 of cosine vs gold. */
  spearman: number;
  /** For 0/1 labels: best-threshold accuracy x100 and the threshold. */
  accuracy?: number;
  threshold?: number;
}

/** Accuracy of `sim >= t` against 0/1 labels at the best t (tried between every pair of neighbouring scores). */
export function bestThresholdAccuracy(sims: number[], labels: number[]): { accuracy: number; threshold: number } {
  const idx = sims.map((_, i) => i).sort((a, b) => sims[a] - sims[b]);
  const positives = labels.reduce((a, b) => a + b, 0);
  // Threshold below everything: all predicted 1.
  let correct = positives;
  let best = { accuracy: correct / labels.length, threshold: sims[idx[0]] - 1e-6 };
  for (let k = 0; k < idx.length; k++) {
    correct += labels[idx[k]] === 1 ? -1 : 1;
    const next = k + 1 < idx.length ? sims[idx[k + 1]] : sims[idx[k]] + 1e-6;
    if (next === sims[idx[k]]) continue;
    const acc = correct / labels.length;
    if (acc > best.accuracy) best = { accuracy: acc, threshold: (sims[idx[k]] + next) / 2 };
  }
  return { accuracy: 100 * best.accuracy, threshold: best.threshold };
}

export async function evaluatePairs(model: SentenceModel, pairs: PairRecord[], file: string, batchSize = 64): Promise<FileResult> {
  const index = new Map<string, number>();
  for (const p of pairs) for (const t of [p.text_a, p.text_b]) if (!index.has(t)) index.set(t, index.size);
  const r = await encodeSentences(model, [...index.keys()], { batchSize });
  const sims = pairs.map((p) => cosineAt(r.embeddings, index.get(p.text_a)!, index.get(p.text_b)!, r.dim));
  const gold = pairs.map((p) => p.score);
  const out: FileResult = { file: path.basename(file), pairs: pairs.length, spearman: 100 * spearman(sims, gold) };
  if (gold.every((g) => g === 0 || g === 1)) Object.assign(out, bestThresholdAccuracy(sims, gold));
  return out;
}

/** `distill eval`: every file, then the average Spearman. All files are read and checked before any is encoded. */
export async function evaluateFiles(model: SentenceModel, files: string[]): Promise<{ results: FileResult[]; averageSpearman: number }> {
  const sets: PairRecord[][] = [];
  for (const f of files) {
    const pairs = await loadPairs(f);
    checkGoldScores(pairs.map((p) => p.score), f);
    sets.push(pairs);
  }
  const results: FileResult[] = [];
  for (let i = 0; i < files.length; i++) results.push(await evaluatePairs(model, sets[i], files[i]));
  return { results, averageSpearman: results.reduce((a, r) => a + r.spearman, 0) / results.length };
}
