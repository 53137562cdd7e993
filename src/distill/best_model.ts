import * as path from 'path';
import { saveSentenceModel, SentenceModel } from '../model/sentence_model';
import { MODEL_CARD_FILE } from '../model/model_card';
import { writeDirAtomic, writeFileChecked } from '../util/atomic_write';
import { whileWriting } from '../util/while_writing';

/** The one file `best/` holds beyond the sentence-transformers layout: where the model came from. */
export const BEST_INFO_FILE = 'best_model.json';

export interface BestModelInfo {
  /** Training step the weights are from. */
  step: number;
  /** What "best" was judged on, e.g. "sts_dev_spearman". */
  metric: string;
  value: number;
}

/**
 * Saves `best/` for serving: a plain sentence-transformers folder (config,
 * weights, tokenizer, modules, pooling) plus `best_model.json`, written
 * atomically. No optimizer slots, loss heads or training state: those are
 * only needed to resume, and resuming reads `checkpoints/step-*`. `card`, when
 * given, is the folder's README.md (model/model_card), written with the rest.
 */
export function saveBestModel(dir: string, model: SentenceModel, info: BestModelInfo, card?: string): void {
  whileWriting('best model', () => writeDirAtomic(dir, (tmp) => {
    saveSentenceModel(model, tmp);
    // A plain write is enough inside the temporary folder: writeDirAtomic fsyncs it as a whole.
    writeFileChecked(path.join(tmp, BEST_INFO_FILE), JSON.stringify(info, null, 2) + '\n');
    if (card !== undefined) writeFileChecked(path.join(tmp, MODEL_CARD_FILE), card);
  }));
}
