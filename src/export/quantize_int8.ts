/**
 * Symmetric per-channel int8 of a [rows, cols] weight along `axis` (the
 * channel): scale_c = max|W[.., c]| / 127, q = round(W / scale_c), zero point 0.
 */
export function quantizePerChannel(w: Float32Array, rows: number, cols: number, axis: 0 | 1): { q: Int8Array; scale: Float32Array } {
  const channels = axis === 1 ? cols : rows;
  const scale = new Float32Array(channels);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const ch = axis === 1 ? c : r;
      scale[ch] = Math.max(scale[ch], Math.abs(w[r * cols + c]));
    }
  }
  for (let ch = 0; ch < channels; ch++) scale[ch] = scale[ch] > 0 ? scale[ch] / 127 : 1;
  const q = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scale[axis === 1 ? c : r];
      q[r * cols + c] = Math.max(-127, Math.min(127, Math.round(w[r * cols + c] / s)));
    }
  }
  return { q, scale };
}
