import { DistillError } from '../util/errors';

/**
 * SentencePiece's `precompiled_charsmap` (XLM-R, mT5, ALBERT... tokenizer.json
 * `Precompiled` normalizer), applied exactly as Rust `tokenizers` applies it.
 *
 * The blob is a little-endian u32 byte length of a Darts-clone double-array
 * trie, the trie's u32 units, then NUL-terminated UTF-8 replacement strings;
 * a trie value is the replacement's byte offset. Rust `tokenizers` (what
 * transformers runs) walks the text by extended grapheme cluster: a cluster
 * under 6 UTF-8 bytes is replaced whole when a rule matches a prefix of its
 * bytes (the shortest matching rule wins, and the rest of the cluster is
 * dropped); otherwise each character is looked up on its own. We copy that
 * rule, odd as it is, because token ids must equal transformers'.
 */
export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly pool: Buffer;
  private readonly replacements = new Map<number, string>();
  private readonly graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

  constructor(blob: Buffer, where: string) {
    const trieBytes = blob.length >= 4 ? blob.readUInt32LE(0) : -1;
    if (trieBytes < 0 || trieBytes % 4 !== 0 || 4 + trieBytes > blob.length) {
      throw new DistillError(`Precompiled normalizer: precompiled_charsmap of ${blob.length} bytes does not hold a trie of ${trieBytes} bytes`, where);
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = blob.readUInt32LE(4 + 4 * i);
    this.pool = blob.subarray(4 + trieBytes);
  }

  static fromBase64(charsmap: string, where: string): PrecompiledCharsmap {
    return new PrecompiledCharsmap(Buffer.from(charsmap, 'base64'), where);
  }

  normalize(text: string): string {
    let out = '';
    for (const { segment } of this.graphemes.segment(text)) {
      const bytes = Buffer.from(segment, 'utf8');
      const whole = bytes.length < 6 ? this.transform(bytes) : undefined;
      if (whole !== undefined) {
        out += whole;
        continue;
      }
      for (const c of segment) out += this.transform(Buffer.from(c, 'utf8')) ?? c;
    }
    return out;
  }

  /** The replacement of the shortest rule matching a prefix of `key`, as Rust's `Precompiled::transform`. */
  private transform(key: Buffer): string | undefined {
    const offset = this.firstPrefixValue(key);
    if (offset === undefined) return undefined;
    let s = this.replacements.get(offset);
    if (s === undefined) {
      const end = this.pool.indexOf(0, offset);
      s = this.pool.toString('utf8', offset, end < 0 ? this.pool.length : end);
      this.replacements.set(offset, s);
    }
    return s;
  }

  /** Darts-clone prefix walk over the bytes of `key`; the value of the first leaf met. */
  private firstPrefixValue(key: Buffer): number | undefined {
    const u = this.units;
    let node = offsetOf(u[0]);
    for (const c of key) {
      if (c === 0) return undefined;
      node ^= c;
      const unit = u[node];
      if (unit === undefined || labelOf(unit) !== c) return undefined;
      node ^= offsetOf(unit);
      if ((unit >>> 8) & 1) return u[node] === undefined ? undefined : u[node] & 0x7fffffff;
    }
    return undefined;
  }
}

// Darts-clone unit layout: label in the low byte (bit 31 set on value units), has-leaf at bit 8,
// offset in bits 10-30, scaled by 256 when bit 9 is set.
function labelOf(unit: number): number {
  return unit & 0x800000ff;
}

function offsetOf(unit: number): number {
  return (unit >>> 10) << ((unit & 0x200) >>> 6);
}
