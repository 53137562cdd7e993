import { DistillError } from '../util/errors';

/**
 * The tokenizer.json component types we run, per component: what
 * @huggingface/tokenizers builds (with exact_components.ts swapping in exact
 * versions where it approximates). The decoder is absent: we never decode.
 */
export const SUPPORTED_COMPONENTS = {
  normalizer: ['BertNormalizer', 'Precompiled', 'Sequence', 'Replace', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Strip', 'StripAccents', 'Lowercase', 'Prepend'],
  pre_tokenizer: ['BertPreTokenizer', 'Sequence', 'Whitespace', 'WhitespaceSplit', 'Metaspace', 'ByteLevel', 'Split', 'Punctuation', 'Digits', 'Replace', 'FixedLength'],
  model: ['BPE', 'WordPiece', 'Unigram'],
  post_processor: ['TemplateProcessing', 'ByteLevel', 'BertProcessing', 'RobertaProcessing', 'Sequence'],
} as const;

type Component = keyof typeof SUPPORTED_COMPONENTS;

// Where a Sequence keeps its children, per component.
const CHILDREN: Partial<Record<Component, string>> = { normalizer: 'normalizers', pre_tokenizer: 'pretokenizers', post_processor: 'processors' };

function checkOne(component: Component, config: unknown, file: string, at: string): void {
  if (config === null || config === undefined) return;
  const c = config as Record<string, unknown>;
  const type = c.type;
  // A model saved without "type" is inferred from its fields, as Rust tokenizers does.
  if (type === undefined && component === 'model') return;
  const supported: readonly string[] = SUPPORTED_COMPONENTS[component];
  if (typeof type !== 'string' || !supported.includes(type)) {
    throw new DistillError(`unsupported ${at} type ${JSON.stringify(type)}; supported: ${supported.join(', ')}`, file);
  }
  if (component === 'model' && type === 'Unigram' && c.byte_fallback === true) {
    throw new DistillError(`unsupported ${at} option: Unigram with byte_fallback (only BPE falls back to bytes here)`, file);
  }
  const key = CHILDREN[component];
  if (type === 'Sequence' && key) {
    const children = c[key];
    if (!Array.isArray(children)) throw new DistillError(`${at} Sequence has no "${key}" list`, file);
    children.forEach((child, i) => checkOne(component, child, file, `${at}.${key}[${i}]`));
  }
}

/** Throws a DistillError naming the file and the component type for any component we cannot run exactly. */
export function checkTokenizerComponents(json: Record<string, unknown>, file: string): void {
  if (!json.model || typeof json.model !== 'object') throw new DistillError('tokenizer.json has no "model" object', file);
  for (const component of Object.keys(SUPPORTED_COMPONENTS) as Component[]) checkOne(component, json[component], file, component);
}
