import * as crypto from 'crypto';

const HEX_KEY = /^[0-9a-f]{32}$/;

/** The four 32-bit words of a 128-bit hex sentence key; any other string is hashed to one. */
export function keyWords(key: string, out: Uint32Array = new Uint32Array(4), at = 0): Uint32Array {
  const hex = HEX_KEY.test(key) ? key : crypto.createHash('sha256').update(key).digest('hex').slice(0, 32);
  for (let w = 0; w < 4; w++) out[at + w] = parseInt(hex.slice(8 * w, 8 * w + 8), 16);
  return out;
}

/**
 * Sentence key -> (part, byte offset of its row in that part), in flat typed
 * arrays with open addressing on the key's first word (keys are hashes, so
 * it is uniform): about 40 bytes a row, where a Map of hex strings to
 * objects costs several times that, and no per-row objects for the GC.
 * A key added again points to its latest row, as Map.set would.
 */
export class KeyIndex {
  private words = new Uint32Array(4 * 1024);
  private parts = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private table = new Int32Array(2048).fill(-1);
  size = 0;

  private slot(w: Uint32Array, at: number): number {
    const mask = this.table.length - 1;
    for (let s = w[at] & mask; ; s = (s + 1) & mask) {
      const e = this.table[s];
      if (e < 0) return s;
      const k = 4 * e;
      if (this.words[k] === w[at] && this.words[k + 1] === w[at + 1] && this.words[k + 2] === w[at + 2] && this.words[k + 3] === w[at + 3]) return s;
    }
  }

  /** Entry number of `key`, or -1. */
  find(key: string): number {
    return this.table[this.slot(keyWords(key), 0)];
  }

  /** Entry number of the key given by words[at..at+4], or -1. */
  findWords(w: Uint32Array, at: number): number {
    return this.table[this.slot(w, at)];
  }

  /** Adds (or repoints) the key given by words[at..at+4]. */
  setWords(w: Uint32Array, at: number, part: number, offset: number): void {
    const s = this.slot(w, at);
    let e = this.table[s];
    if (e < 0) {
      e = this.size++;
      this.grow();
      this.words.set(w.subarray(at, at + 4), 4 * e);
      this.table[s] = e;
    }
    this.parts[e] = part;
    this.offsets[e] = offset;
    if (this.size * 2 > this.table.length) this.rehash();
  }

  part(e: number): number {
    return this.parts[e];
  }

  offset(e: number): number {
    return this.offsets[e];
  }

  private grow(): void {
    if (this.size <= this.parts.length) return;
    const cap = this.parts.length * 2;
    const words = new Uint32Array(4 * cap);
    words.set(this.words);
    const parts = new Uint32Array(cap);
    parts.set(this.parts);
    const offsets = new Float64Array(cap);
    offsets.set(this.offsets);
    this.words = words;
    this.parts = parts;
    this.offsets = offsets;
  }

  private rehash(): void {
    this.table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = this.table.length - 1;
    for (let e = 0; e < this.size; e++) {
      let s = this.words[4 * e] & mask;
      while (this.table[s] >= 0) s = (s + 1) & mask;
      this.table[s] = e;
    }
  }
}
