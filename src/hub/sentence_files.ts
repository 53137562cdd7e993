import * as fs from 'fs';
import * as path from 'path';

/**
 * The files a sentence model needs, out of everything a Hub repository holds
 * (which often adds PyTorch, ONNX, OpenVINO and TF copies of the weights):
 * the encoder config, safetensors weights (single or sharded), tokenizer
 * files, sentence-transformers metadata and the module folders modules.json
 * names (1_Pooling, 2_Dense, ...).
 */
export const ROOT_FILES = [
  'config.json', 'model.safetensors', 'model.safetensors.index.json',
  'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json',
  'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json',
];

/** Module folder paths in a modules.json (the Transformer module's own path is the root, ""). */
export function moduleFolders(modulesJson: string | undefined): Array<{ path: string; type: string }> {
  if (!modulesJson) return [];
  const mods = JSON.parse(fs.readFileSync(modulesJson, 'utf8')) as Array<{ path?: string; type?: string }>;
  return mods.map((m) => ({ path: (m.path ?? '').replace(/\/+$/, ''), type: m.type ?? '' })).filter((m) => m.path !== '');
}

/** Files inside module folders: configs and safetensors weights (a Dense layer's), never .bin/.onnx copies. */
export function moduleFiles(siblings: string[], folders: Array<{ path: string }>): string[] {
  return siblings.filter((s) => folders.some((f) => s.startsWith(f.path + '/')) && /\.(json|safetensors|txt)$/.test(s));
}

/** Shard file names listed by a model.safetensors.index.json. */
export function shardFiles(indexJson: string | undefined): string[] {
  if (!indexJson) return [];
  const idx = JSON.parse(fs.readFileSync(indexJson, 'utf8')) as { weight_map?: Record<string, string> };
  return [...new Set(Object.values(idx.weight_map ?? {}))];
}

/**
 * The relative paths a complete snapshot of a sentence model must hold, or
 * the first missing one; used to serve a cached snapshot without a request
 * and to refuse an incomplete one offline.
 */
export function missingFromSnapshot(dir: string): string | undefined {
  const has = (f: string) => fs.existsSync(path.join(dir, f));
  if (!has('config.json')) return 'config.json';
  if (!has('model.safetensors')) {
    if (!has('model.safetensors.index.json')) return 'model.safetensors';
    const shard = shardFiles(path.join(dir, 'model.safetensors.index.json')).find((s) => !has(s));
    if (shard) return shard;
  }
  if (!has('tokenizer.json') && !has('vocab.txt')) return 'tokenizer.json';
  const mods = has('modules.json') ? moduleFolders(path.join(dir, 'modules.json')) : [];
  // Normalize has no files (git keeps no empty folder); Pooling and Dense cannot work without their config.
  return mods.filter((m) => /Pooling|Dense/.test(m.type)).map((m) => `${m.path}/config.json`).find((f) => !has(f));
}
