import { DistillError } from '../util/errors';

export const SIMILARITY_FUNCTIONS = ['cosine', 'dot', 'euclidean', 'manhattan'] as const;

/**
 * `config_sentence_transformers.json`: prompts, default prompt and similarity
 * function are read and checked; the whole object (versions, model_type and
 * any key we do not know) is kept as read and written back on save.
 */
export interface SentenceConfig {
  prompts: Record<string, string>;
  defaultPromptName: string | null;
  similarityFnName: (typeof SIMILARITY_FUNCTIONS)[number] | null;
  raw: Record<string, unknown>;
}

export function emptySentenceConfig(): SentenceConfig {
  return { prompts: {}, defaultPromptName: null, similarityFnName: null, raw: {} };
}

export function parseSentenceConfig(raw: Record<string, unknown>, file: string): SentenceConfig {
  const prompts = raw.prompts ?? {};
  if (typeof prompts !== 'object' || prompts === null || Array.isArray(prompts) || Object.values(prompts).some((v) => typeof v !== 'string')) {
    throw new DistillError('key "prompts" must be an object of name -> prompt text', file);
  }
  const def = raw.default_prompt_name ?? null;
  if (def !== null && !(typeof def === 'string' && def in prompts)) {
    throw new DistillError(`key "default_prompt_name": ${JSON.stringify(def)} is not one of the prompts (${Object.keys(prompts).join(', ')})`, file);
  }
  const sim = raw.similarity_fn_name ?? null;
  if (sim !== null && !(SIMILARITY_FUNCTIONS as readonly unknown[]).includes(sim)) {
    throw new DistillError(`key "similarity_fn_name": unsupported ${JSON.stringify(sim)}; supported: ${SIMILARITY_FUNCTIONS.join(', ')}`, file);
  }
  if (raw.truncate_dim !== undefined && raw.truncate_dim !== null) {
    throw new DistillError('key "truncate_dim" is not supported; set it to null', file);
  }
  return { prompts: prompts as Record<string, string>, defaultPromptName: def as string | null, similarityFnName: sim as SentenceConfig['similarityFnName'], raw };
}

/** What we write: the file as read, with model_type so sentence-transformers 5+ loads it as a SentenceTransformer. */
export function sentenceConfigToJson(c: SentenceConfig): Record<string, unknown> {
  return { ...c.raw, model_type: c.raw.model_type ?? 'SentenceTransformer', prompts: c.prompts, default_prompt_name: c.defaultPromptName, similarity_fn_name: c.similarityFnName };
}

/** The prompt sentence-transformers prefixes to every sentence by default ('' for none). */
export function defaultPrompt(c: SentenceConfig): string {
  return c.defaultPromptName === null ? '' : c.prompts[c.defaultPromptName];
}
