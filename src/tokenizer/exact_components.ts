import { PrecompiledCharsmap } from './precompiled_charsmap';

/** The parts of an @huggingface/tokenizers component instance we reach into. */
interface PortComponent {
  config?: { type?: string; precompiled_charsmap?: string };
  normalize?: (text: string) => string;
  normalizers?: Array<PortComponent | null>;
}

/**
 * Swaps the components that @huggingface/tokenizers only approximates for
 * exact ones, in place on the built tokenizer's normalizer tree: its
 * `Precompiled` is NFKC plus a few regexes, not the model's charsmap.
 * Returns how many were swapped, so the caller can check that every one the
 * JSON names was found (a changed package layout must fail, not drift).
 */
export function useExactNormalizers(root: PortComponent | null, where: string): number {
  if (!root) return 0;
  let swapped = 0;
  if (root.config?.type === 'Precompiled') {
    const charsmap = PrecompiledCharsmap.fromBase64(root.config.precompiled_charsmap ?? '', where);
    // The port's callable normalizer calls this.normalize, so an own property takes over both paths.
    root.normalize = (text: string) => charsmap.normalize(text);
    swapped++;
  }
  for (const child of root.normalizers ?? []) swapped += useExactNormalizers(child, where);
  return swapped;
}

/** How many `Precompiled` normalizers a tokenizer.json normalizer config holds. */
export function countPrecompiled(config: unknown): number {
  if (!config || typeof config !== 'object') return 0;
  const c = config as { type?: string; normalizers?: unknown[] };
  const here = c.type === 'Precompiled' ? 1 : 0;
  return here + (c.normalizers ?? []).reduce<number>((n, child) => n + countPrecompiled(child), 0);
}

/** The parts of an @huggingface/tokenizers pre-tokenizer instance we reach into. */
interface PortPreTokenizer {
  pre_tokenize_text?: (text: string, options?: unknown) => string[];
  tokenizers?: Array<PortPreTokenizer | null>;
}

interface PreTokenizerConfig {
  type?: string;
  pretokenizers?: PreTokenizerConfig[];
}

// Rust's char::is_whitespace is Unicode White_Space: it has U+0085 and lacks U+FEFF, unlike JS \s.
const NOT_WHITESPACE = /[^\p{White_Space}]+/gu;

/**
 * Swaps in exact pre-tokenizers, walking the port's instance tree alongside
 * the tokenizer.json config (the port's pre-tokenizers keep no config):
 * `WhitespaceSplit` splits on Rust's whitespace, not JavaScript's. Returns how
 * many were swapped, for the same layout check as useExactNormalizers.
 */
export function useExactPreTokenizers(inst: PortPreTokenizer | null, config: PreTokenizerConfig | null): number {
  if (!inst || !config) return 0;
  if (config.type === 'WhitespaceSplit') {
    inst.pre_tokenize_text = (text: string) => text.match(NOT_WHITESPACE) ?? [];
    return 1;
  }
  if (config.type !== 'Sequence') return 0;
  return (config.pretokenizers ?? []).reduce((n, child, i) => n + useExactPreTokenizers(inst.tokenizers?.[i] ?? null, child), 0);
}

/** How many `WhitespaceSplit` pre-tokenizers a tokenizer.json pre_tokenizer config holds. */
export function countWhitespaceSplit(config: PreTokenizerConfig | null): number {
  if (!config) return 0;
  if (config.type === 'WhitespaceSplit') return 1;
  return (config.pretokenizers ?? []).reduce((n, child) => n + countWhitespaceSplit(child), 0);
}
