import { DistillError } from '../util/errors';

export type ModuleKind = 'transformer' | 'pooling' | 'dense' | 'normalize';

/**
 * The `type` names in modules.json, by the sentence-transformers versions
 * that write them: `sentence_transformers.models.*` (2.x to 5.3, the module
 * path), then the class paths of the 5.4 reorganisation and of 6.x.
 */
export const MODULE_TYPE_NAMES: Record<ModuleKind, string[]> = {
  transformer: ['sentence_transformers.models.Transformer', 'sentence_transformers.base.modules.transformer.Transformer'],
  pooling: ['sentence_transformers.models.Pooling', 'sentence_transformers.sentence_transformer.modules.pooling.Pooling'],
  dense: ['sentence_transformers.models.Dense', 'sentence_transformers.base.modules.dense.Dense'],
  normalize: [
    'sentence_transformers.models.Normalize',
    'sentence_transformers.sentence_transformer.modules.normalize.Normalize',
    'sentence_transformers.base.modules.normalize.Normalize',
  ],
};

/**
 * What we write: the 2.x names, which every version loads (6.x maps them
 * through its deprecated-import table).
 */
export const WRITTEN_MODULE_TYPES: Record<ModuleKind, string> = {
  transformer: MODULE_TYPE_NAMES.transformer[0],
  pooling: MODULE_TYPE_NAMES.pooling[0],
  dense: MODULE_TYPE_NAMES.dense[0],
  normalize: MODULE_TYPE_NAMES.normalize[0],
};

/** The kind of modules.json entry `index`; an unknown type names the entry, its type and every supported one. */
export function moduleKind(type: unknown, index: number, file: string): ModuleKind {
  for (const [kind, names] of Object.entries(MODULE_TYPE_NAMES)) if (names.includes(type as string)) return kind as ModuleKind;
  const supported = Object.values(MODULE_TYPE_NAMES).flat().join(', ');
  throw new DistillError(`module ${index} has unsupported type ${JSON.stringify(type)}; supported: ${supported}`, file);
}
