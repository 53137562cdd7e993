import * as fs from 'fs';
import { DatasetSpec, PairRecord } from '../data/dataset_spec';
import { loadDataset } from '../data/read_dataset';
import { createReaderRegistry } from '../data/readers/reader_registry';
import { DistillError } from '../util/errors';

const SCORE_NAMES = ['score', 'label', 'similarity_score', 'gold'];

/**
 * A pair file as STS and paraphrase sets ship: with a header naming
 * sentence1 / sentence2 and a score or label column, or headerless with
 * the two texts and the score in the first three columns.
 */
export function pairSpec(file: string): DatasetSpec {
  const format = createReaderRegistry().formatOf(file);
  if (format !== 'tsv' && format !== 'csv') return { path: file, kind: 'pairs', columns: { text_a: 'sentence1', text_b: 'sentence2', score: 'score' } };
  const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0];
  const cols = first.split(format === 'csv' ? ',' : '\t').map((c) => c.trim().replace(/^"|"$/g, ''));
  if (cols.includes('sentence1') && cols.includes('sentence2')) {
    const score = SCORE_NAMES.find((n) => cols.includes(n));
    if (!score) throw new DistillError(`line 1: the header (${cols.join(', ')}) has no score column: expected one of ${SCORE_NAMES.join(', ')}`, file);
    return { path: file, format, kind: 'pairs', columns: { text_a: 'sentence1', text_b: 'sentence2', score } };
  }
  if (cols.length >= 3 && !Number.isFinite(Number(cols[2]))) {
    // A header we do not know would otherwise be read as data and fail as "must be a number, got 'sim'".
    throw new DistillError(`line 1 looks like a header (${cols.join(', ')}) but lacks the columns distill eval reads: expected a header with sentence1, sentence2 and one of ${SCORE_NAMES.join(', ')}, or no header and text, text, score as the first three columns`, file);
  }
  return { path: file, format, header: false, kind: 'pairs', columns: { text_a: 0, text_b: 1, score: 2 } };
}

export async function loadPairs(file: string): Promise<PairRecord[]> {
  return (await loadDataset(pairSpec(file))).records as PairRecord[];
}
