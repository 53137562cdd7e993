import { DistillError } from '../util/errors';

/** Average ranks (1-based), ties sharing the mean rank, as scipy.stats.rankdata. */
export function ranks(xs: ArrayLike<number>): number[] {
  const idx = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]] === xs[idx[i]]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = avg;
    i = j + 1;
  }
  return r;
}

export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman's rank correlation (Pearson on average ranks). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Spearman against gold scores is undefined (NaN) with fewer than two pairs
 * or when every gold score is the same: refuse such a set, naming `where`,
 * rather than report NaN as a score.
 */
export function checkGoldScores(gold: ArrayLike<number>, where: string): void {
  if (gold.length < 2) throw new DistillError(`${gold.length} pair${gold.length === 1 ? '' : 's'}: Spearman needs at least 2 pairs with different gold scores`, where);
  for (let i = 1; i < gold.length; i++) if (gold[i] !== gold[0]) return;
  throw new DistillError(`all ${gold.length} gold scores are ${gold[0]}: Spearman is undefined when the gold scores do not vary`, where);
}
