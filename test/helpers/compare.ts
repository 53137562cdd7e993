import * as assert from 'node:assert/strict';

export function flatten(x: unknown): number[] {
  return Array.isArray(x) ? (x as unknown[]).flatMap(flatten) : [x as number];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, 'length mismatch');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, label: string): void {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${label}: max abs difference ${d.toExponential(3)} > ${tol}`);
}

/** Row-wise cosine similarities of two [n, dim] matrices. */
export function rowCosines(a: Float32Array, b: Float32Array, dim: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < a.length / dim; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    out.push(ab / Math.sqrt(aa * bb));
  }
  return out;
}
