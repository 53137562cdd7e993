/** Cosine of rows i and j of a row-major [n, dim] matrix. */
export function cosineAt(e: Float32Array, i: number, j: number, dim: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let k = 0; k < dim; k++) {
    const x = e[i * dim + k], y = e[j * dim + k];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.max(Math.sqrt(aa * bb), 1e-12);
}

/** Row-wise cosines of two [n, dim] matrices. */
export function rowCosines(a: Float32Array, b: Float32Array, dim: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < a.length / dim; r++) {
    let ab = 0, aa = 0, bb = 0;
    for (let k = r * dim; k < (r + 1) * dim; k++) {
      ab += a[k] * b[k];
      aa += a[k] * a[k];
      bb += b[k] * b[k];
    }
    out.push(ab / Math.max(Math.sqrt(aa * bb), 1e-12));
  }
  return out;
}
