import * as fs from 'fs';
import * as path from 'path';
import { EncoderConfig, maxTokens } from './encoder_config';
import { Architecture } from './architecture';
import { ArchitectureRegistry, defaultArchitectures } from './architecture_registry';
import { BertWeights, disposeWeights, loadBertWeights, saveBertWeights } from './bert_weights';
import { PoolingConfig, parsePoolingConfig, poolingConfigToJson } from './pooling';
import { DenseConfig, denseConfigToJson, isDenseWeight, loadDenseWeights, parseDenseConfig, saveDenseWeights } from './dense';
import { ModuleKind, moduleKind, WRITTEN_MODULE_TYPES } from './module_types';
import { overridePooling, POOLER_TENSORS, PoolingOverride } from './pooling_override';
import { readJson } from './read_json';
import { defaultPrompt, emptySentenceConfig, parseSentenceConfig, SentenceConfig, sentenceConfigToJson } from './sentence_config';
import { loadTokenizer } from '../tokenizer/load_tokenizer';
import { promptedTokenizer } from '../tokenizer/prompted_tokenizer';
import { SentenceTokenizer } from '../tokenizer/sentence_tokenizer';
import { DistillError } from '../util/errors';
import { writeFileChecked } from '../util/atomic_write';

/** A sentence-transformers model: a BERT-family encoder, pooling, optional Dense modules, optional L2 normalisation. */
export interface SentenceModel {
  dir: string;
  config: EncoderConfig;
  /** The family that read config.json and the weights, and writes them back under its own names. */
  arch: Architecture;
  /** BERT weights, plus each Dense module's under `dense.<i>.` (model/dense). */
  weights: BertWeights;
  tokenizer: SentenceTokenizer;
  pooling: PoolingConfig;
  /** Dense modules after pooling, in order. */
  dense: DenseConfig[];
  normalize: boolean;
  maxSeqLength: number;
  /** config_sentence_transformers.json: prompts and similarity function, carried over on save. */
  sentenceConfig: SentenceConfig;
  /** Sentences this model instance has encoded; callers and tests read it to prove a cache spared the forward pass. */
  stats: EncodeStats;
}

export interface EncodeStats {
  sentencesEncoded: number;
}

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'];

interface Modules {
  pooling: PoolingConfig;
  dense: Array<{ config: DenseConfig; dir: string }>;
  normalize: boolean;
}

/** modules.json of any sentence-transformers version: Transformer, Pooling, any Dense, Normalize, in that order. */
function readModules(dir: string, hidden: number): Modules {
  const file = path.join(dir, 'modules.json');
  if (!fs.existsSync(file)) {
    // A plain Hugging Face folder: sentence-transformers adds mean pooling, and so do we.
    return { pooling: { modes: ['mean'], dimension: hidden }, dense: [], normalize: false };
  }
  const modules = readJson(file) as unknown as Array<{ type?: string; path?: string }>;
  if (!Array.isArray(modules)) throw new DistillError('expected a JSON array of modules', file);
  const order: ModuleKind[] = ['transformer', 'pooling', 'dense', 'normalize'];
  let pooling: PoolingConfig | undefined;
  const dense: Modules['dense'] = [];
  let normalize = false;
  let last = -1;
  modules.forEach((m, i) => {
    const kind = moduleKind(m.type, i, file);
    const rank = order.indexOf(kind);
    if (rank < last || (rank === last && kind !== 'dense')) {
      throw new DistillError(`module ${i} (${kind}) is out of place; expected Transformer, Pooling, any Dense, then Normalize`, file);
    }
    last = rank;
    const mdir = path.join(dir, m.path ?? (kind === 'pooling' ? '1_Pooling' : ''));
    const cfg = path.join(mdir, 'config.json');
    if ((kind === 'pooling' || kind === 'dense') && !fs.existsSync(cfg)) throw new DistillError(`missing ${kind} config referenced by modules.json (module ${i})`, cfg);
    if (kind === 'pooling') pooling = parsePoolingConfig(readJson(cfg), cfg);
    if (kind === 'dense') dense.push({ config: parseDenseConfig(readJson(cfg), cfg), dir: mdir });
    if (kind === 'normalize') normalize = true;
  });
  if (!pooling) throw new DistillError('modules.json has no Pooling module', file);
  let width = pooling.dimension * pooling.modes.length;
  for (const { config, dir: d } of dense) {
    if (config.inFeatures !== width) throw new DistillError(`Dense in_features ${config.inFeatures} does not match the ${width}-wide input it gets`, path.join(d, 'config.json'));
    width = config.outFeatures;
  }
  return { pooling, dense, normalize };
}

function readSentenceConfig(dir: string): SentenceConfig {
  const file = path.join(dir, 'config_sentence_transformers.json');
  return fs.existsSync(file) ? parseSentenceConfig(readJson(file), file) : emptySentenceConfig();
}

/** config.json read by the family its model_type names. */
function readEncoderConfig(dir: string, architectures: ArchitectureRegistry): { config: EncoderConfig; arch: Architecture } {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(file)) {
    throw new DistillError('missing config.json; expected a Hugging Face / sentence-transformers model folder', dir);
  }
  const raw = readJson(file);
  const arch = architectures.forModelType(raw.model_type, file);
  return { config: arch.parseConfig(raw, file), arch };
}

function readMaxSeqLength(dir: string, cfg: EncoderConfig): number {
  const st = path.join(dir, 'sentence_bert_config.json');
  const tk = path.join(dir, 'tokenizer_config.json');
  let max: number | undefined;
  if (fs.existsSync(st)) max = readJson(st).max_seq_length as number | undefined;
  if (max === undefined && fs.existsSync(tk)) {
    const m = readJson(tk).model_max_length;
    if (typeof m === 'number' && m < 1e6) max = m;
  }
  return Math.min(max ?? maxTokens(cfg), maxTokens(cfg));
}

export interface LoadOptions {
  /** Encoder families to read config.json with; default the built-in ones. */
  architectures?: ArchitectureRegistry;
  /** Pool this way instead of as the folder says (model/pooling_override): `pooler` for BERT's dense + tanh pooler. */
  pooling?: PoolingOverride;
}

export function loadSentenceModel(dir: string, opts: LoadOptions = {}): SentenceModel {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DistillError('model folder does not exist; expected a folder with config.json and model.safetensors', dir);
  }
  const { config, arch } = readEncoderConfig(dir, opts.architectures ?? defaultArchitectures());
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(weightsFile)) {
    const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin'));
    throw new DistillError(
      bin ? 'only pytorch_model.bin found; convert it to model.safetensors (transformers: model.save_pretrained(dir, safe_serialization=True))'
        : 'missing model.safetensors', dir);
  }
  const { pooling: folderPooling, dense: folderDense, normalize } = readModules(dir, config.hiddenSize);
  const sentenceConfig = readSentenceConfig(dir);
  const prompt = defaultPrompt(sentenceConfig);
  if (prompt !== '' && folderPooling.includePrompt === false) {
    throw new DistillError(`a default prompt with include_prompt false (prompt tokens left out of pooling) is not supported; set default_prompt_name to null in config_sentence_transformers.json or include_prompt to true`, dir);
  }
  const tokenizer = promptedTokenizer(loadTokenizer(dir), prompt);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new DistillError(`tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`, dir);
  }
  const weights = loadBertWeights(weightsFile, config, arch);
  let head = { pooling: folderPooling, dense: folderDense.map((d) => d.config) };
  try {
    folderDense.forEach((d, i) => loadDenseWeights(d.dir, d.config, i).forEach((t, k) => weights.set(k, t)));
    if (opts.pooling) head = overridePooling(head, opts.pooling, weights, config.hiddenSize, dir, POOLER_TENSORS.map(arch.fromCanonical));
  } catch (e) {
    disposeWeights(weights);
    throw e;
  }
  const { pooling, dense } = head;
  return {
    dir, config, arch, weights, tokenizer, pooling, dense, normalize, sentenceConfig,
    maxSeqLength: readMaxSeqLength(dir, config), stats: { sentencesEncoded: 0 },
  };
}

/**
 * Writes the sentence-transformers folder layout, so what we save loads in
 * `SentenceTransformer(dir)` and in transformers' `AutoModel`. Not atomic by
 * itself: callers build into `writeDirAtomic` (util/atomic_write), which
 * fsyncs and swaps the whole folder.
 */
export function saveSentenceModel(model: SentenceModel, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileChecked(path.join(dir, 'config.json'), JSON.stringify(model.arch.configToJson(model.config), null, 2));
  saveBertWeights(path.join(dir, 'model.safetensors'), new Map([...model.weights].filter(([k]) => !isDenseWeight(k))), model.arch);
  for (const f of TOKENIZER_FILES) {
    const src = path.join(model.dir, f);
    if (fs.existsSync(src) && path.resolve(src) !== path.resolve(dir, f)) fs.copyFileSync(src, path.join(dir, f));
  }
  writeModules(model, dir);
  writeFileChecked(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: model.maxSeqLength, do_lower_case: false }, null, 2));
  writeFileChecked(path.join(dir, 'config_sentence_transformers.json'), JSON.stringify(sentenceConfigToJson(model.sentenceConfig), null, 2));
}

/** modules.json and each module's folder, under the type names every sentence-transformers version loads. */
function writeModules(model: SentenceModel, dir: string): void {
  const modules = [{ idx: 0, name: '0', path: '', type: WRITTEN_MODULE_TYPES.transformer }];
  const add = (kind: ModuleKind, folder: string) => {
    const idx = modules.length;
    const rel = `${idx}_${folder}`;
    modules.push({ idx, name: String(idx), path: rel, type: WRITTEN_MODULE_TYPES[kind] });
    fs.mkdirSync(path.join(dir, rel), { recursive: true });
    return path.join(dir, rel);
  };
  const pdir = add('pooling', 'Pooling');
  writeFileChecked(path.join(pdir, 'config.json'), JSON.stringify(poolingConfigToJson(model.pooling), null, 2));
  model.dense.forEach((d, i) => {
    const ddir = add('dense', 'Dense');
    writeFileChecked(path.join(ddir, 'config.json'), JSON.stringify(denseConfigToJson(d), null, 2));
    saveDenseWeights(ddir, model.weights, d, i);
  });
  if (model.normalize) add('normalize', 'Normalize');
  writeFileChecked(path.join(dir, 'modules.json'), JSON.stringify(modules, null, 2));
}

export function disposeSentenceModel(model: SentenceModel): void {
  disposeWeights(model.weights);
}
