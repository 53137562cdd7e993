/**
 * The quickstart training shape for bench:train: configs/quickstart.yaml's
 * run (3-layer student cut from all-MiniLM-L6-v2, MSE, AdamW + clipping) on
 * the first batches of its own epoch plan over the shipped sentences, bucketed
 * by length as training makes them. Short sentences make per-op overhead,
 * not matmul speed, the cost here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '../src/config/parse_config';
import { loadDataset, recordTexts } from '../src/data/read_dataset';
import { normalizeSentence } from '../src/data/sentence_key';
import { makeBatch, planEpoch, StepBatch, TrainData } from '../src/distill/train_data';
import { embeddingDim } from '../src/model/sentence_encoder';
import { loadRunModels, RunModels } from '../src/pipelines/run_models';
import { Rng } from '../src/util/rng';

export interface QuickstartShape {
  run: RunModels;
  batches: StepBatch[];
  /** The student's layers in the teacher, for the PyTorch side. */
  keptLayers: number[];
  teacherDir: string;
}

export async function quickstartShape(root: string, count: number): Promise<QuickstartShape> {
  const cfg = loadConfig(path.join(root, 'configs', 'quickstart.yaml'));
  const teacherDir = path.resolve(root, cfg.teacher.model);
  const run = loadRunModels(cfg, undefined, { teacher: teacherDir });
  const student = run.student.model;
  const { records } = await loadDataset({ ...cfg.data.train, path: path.resolve(root, cfg.data.train.path) });
  const texts = [...new Set(records.flatMap((r) => recordTexts(r).map(normalizeSentence)))];
  const ids = texts.map((t) => {
    const e = student.tokenizer.encode(t).ids;
    return Int32Array.from(e.length <= student.maxSeqLength ? e : [...e.slice(0, student.maxSeqLength - 1), e[e.length - 1]]);
  });
  // Cached teacher rows do not change a step's cost; random unit-scale rows stand in for them.
  const dim = embeddingDim(run.teacher);
  const rng = new Rng(cfg.seed);
  const data: TrainData = { ids, teacher: new Float32Array(texts.length * dim).map(() => rng.next() - 0.5), teacherDim: dim, padId: student.tokenizer.padId, rows: texts.map((_, i) => [i]) };
  const plan = planEpoch(ids.map((x) => x.length), cfg.train.batch_size, cfg.seed, cfg.train.bucketed);
  const batches = plan.batches.slice(0, count).map((rows) => makeBatch(data, rows.flatMap((r) => data.rows[r])));
  return { run, batches, keptLayers: run.student.keptLayers ?? [], teacherDir };
}

/** The batches as the PyTorch side reads them: flat token ids and masks per batch. */
export function writeBatchesJson(file: string, shape: QuickstartShape): void {
  const batches = shape.batches.map((b) => ({ batch: b.tokens.batch, seq: b.tokens.seqLen, input_ids: [...b.tokens.inputIds], attention_mask: [...b.tokens.attentionMask] }));
  fs.writeFileSync(file, JSON.stringify({ model: shape.teacherDir, keep_layers: shape.keptLayers, teacher_dim: shape.batches[0].teacherDim, batches }));
}
