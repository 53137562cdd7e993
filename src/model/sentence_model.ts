import * as fs from 'fs';
import * as path from 'path';
import { BertConfig, bertConfigToJson, readBertConfig } from './bert_config';
import { BertWeights, disposeWeights, loadBertWeights, saveBertWeights } from './bert_weights';
import { PoolingConfig, parsePoolingConfig, poolingConfigToJson } from './pooling';
import { loadTokenizer } from '../tokenizer/load_tokenizer';
import { SentenceTokenizer } from '../tokenizer/sentence_tokenizer';
import { DistillError } from '../util/errors';
import { writeFileChecked } from '../util/atomic_write';

/** A sentence-transformers model: BERT encoder, pooling, optional L2 normalisation. */
export interface SentenceModel {
  dir: string;
  config: BertConfig;
  weights: BertWeights;
  tokenizer: SentenceTokenizer;
  pooling: PoolingConfig;
  normalize: boolean;
  maxSeqLength: number;
  /** Sentences this model instance has encoded; callers and tests read it to prove a cache spared the forward pass. */
  stats: EncodeStats;
}

export interface EncodeStats {
  sentencesEncoded: number;
}

const MODULE_TYPES = {
  transformer: 'sentence_transformers.models.Transformer',
  pooling: 'sentence_transformers.models.Pooling',
  normalize: 'sentence_transformers.models.Normalize',
};
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json'];

/** Only the parse is bad input; an OS error reading the file propagates as itself (the CLI names file and errno). */
function readJson(file: string): Record<string, unknown> {
  const text = fs.readFileSync(file, 'utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new DistillError(`invalid JSON (${(e as Error).message})`, file, { cause: e });
  }
  if (typeof v !== 'object' || v === null) throw new DistillError('invalid JSON (not a JSON object or array)', file);
  return v as Record<string, unknown>;
}

function readModules(dir: string, hidden: number): { pooling: PoolingConfig; normalize: boolean } {
  const file = path.join(dir, 'modules.json');
  if (!fs.existsSync(file)) {
    // A plain Hugging Face folder: sentence-transformers adds mean pooling, and so do we.
    return { pooling: { modes: ['mean'], dimension: hidden }, normalize: false };
  }
  const modules = readJson(file) as unknown as Array<{ type?: string; path?: string }>;
  if (!Array.isArray(modules)) throw new DistillError('expected a JSON array of modules', file);
  let pooling: PoolingConfig | undefined;
  let normalize = false;
  modules.forEach((m, i) => {
    switch (m.type) {
      case MODULE_TYPES.transformer:
        break;
      case MODULE_TYPES.pooling: {
        const pfile = path.join(dir, m.path ?? '1_Pooling', 'config.json');
        if (!fs.existsSync(pfile)) throw new DistillError('missing pooling config referenced by modules.json', pfile);
        pooling = parsePoolingConfig(readJson(pfile), pfile);
        break;
      }
      case MODULE_TYPES.normalize:
        normalize = true;
        break;
      default:
        throw new DistillError(`module ${i} has unsupported type ${JSON.stringify(m.type)}; supported: ${Object.values(MODULE_TYPES).join(', ')}`, file);
    }
  });
  if (!pooling) throw new DistillError('modules.json has no Pooling module', file);
  return { pooling, normalize };
}

function readMaxSeqLength(dir: string, cfg: BertConfig): number {
  const st = path.join(dir, 'sentence_bert_config.json');
  const tk = path.join(dir, 'tokenizer_config.json');
  let max: number | undefined;
  if (fs.existsSync(st)) max = readJson(st).max_seq_length as number | undefined;
  if (max === undefined && fs.existsSync(tk)) {
    const m = readJson(tk).model_max_length;
    if (typeof m === 'number' && m < 1e6) max = m;
  }
  return Math.min(max ?? cfg.maxPositionEmbeddings, cfg.maxPositionEmbeddings);
}

export function loadSentenceModel(dir: string): SentenceModel {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new DistillError('model folder does not exist; expected a folder with config.json and model.safetensors', dir);
  }
  const config = readBertConfig(dir);
  const weightsFile = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(weightsFile)) {
    const bin = fs.existsSync(path.join(dir, 'pytorch_model.bin'));
    throw new DistillError(
      bin ? 'only pytorch_model.bin found; convert it to model.safetensors (transformers: model.save_pretrained(dir, safe_serialization=True))'
        : 'missing model.safetensors', dir);
  }
  const { pooling, normalize } = readModules(dir, config.hiddenSize);
  const tokenizer = loadTokenizer(dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new DistillError(`tokenizer has ${tokenizer.vocabSize} tokens but config.json vocab_size is ${config.vocabSize}`, dir);
  }
  const weights = loadBertWeights(weightsFile, config);
  return { dir, config, weights, tokenizer, pooling, normalize, maxSeqLength: readMaxSeqLength(dir, config), stats: { sentencesEncoded: 0 } };
}

/**
 * Writes the sentence-transformers folder layout, so what we save loads in
 * `SentenceTransformer(dir)` and in transformers' `AutoModel`. Not atomic by
 * itself: callers build into `writeDirAtomic` (util/atomic_write), which
 * fsyncs and swaps the whole folder.
 */
export function saveSentenceModel(model: SentenceModel, dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  writeFileChecked(path.join(dir, 'config.json'), JSON.stringify(bertConfigToJson(model.config), null, 2));
  saveBertWeights(path.join(dir, 'model.safetensors'), model.weights);
  for (const f of TOKENIZER_FILES) {
    const src = path.join(model.dir, f);
    if (fs.existsSync(src) && path.resolve(src) !== path.resolve(dir, f)) fs.copyFileSync(src, path.join(dir, f));
  }
  const modules = [
    { idx: 0, name: '0', path: '', type: MODULE_TYPES.transformer },
    { idx: 1, name: '1', path: '1_Pooling', type: MODULE_TYPES.pooling },
  ];
  if (model.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: MODULE_TYPES.normalize });
  writeFileChecked(path.join(dir, 'modules.json'), JSON.stringify(modules, null, 2));
  fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
  writeFileChecked(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify(poolingConfigToJson(model.pooling), null, 2));
  if (model.normalize) fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  writeFileChecked(path.join(dir, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: model.maxSeqLength, do_lower_case: false }, null, 2));
}

export function disposeSentenceModel(model: SentenceModel): void {
  disposeWeights(model.weights);
}
