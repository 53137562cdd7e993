import { Architecture } from '../architecture';
import { bertLikeConfigToJson, parseBertLikeConfig, stripPrefix } from './bert';

const CLASSES: Record<string, string> = { roberta: 'RobertaModel', 'xlm-roberta': 'XLMRobertaModel' };

/**
 * RoBERTa and XLM-RoBERTa: BERT's layers and tensor names; positions count
 * from padding_idx + 1 over real tokens only (so max_position_embeddings 514
 * holds 512 tokens) and the one-row token type table is always row 0.
 */
export const robertaArchitecture: Architecture = {
  name: 'roberta',
  modelTypes: ['roberta', 'xlm-roberta'],
  parseConfig: (raw, file) => parseBertLikeConfig(raw, file, { family: 'roberta', typeVocabSize: 1, padTokenId: 1, positionIds: 'after_padding' }),
  configToJson: (cfg) => bertLikeConfigToJson(cfg, [CLASSES[cfg.modelType] ?? 'RobertaModel']),
  toCanonical: (name) => stripPrefix(name, ['roberta']),
  fromCanonical: (name) => name,
};
