import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import { TokenizedBatch } from '../tokenizer/sentence_tokenizer';
import { readableSync } from '../backend/webgpu_backend';
import { buildBertOnnx } from '../export/bert_onnx';
import { onnxFeeds } from '../export/onnx_feeds';
import { embedBatch } from '../model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { resolveModel } from '../hub/resolve_model';
import { Rng } from '../util/rng';
import { maxTokens } from '../model/encoder_config';

export const RUNTIMES = ['tfjs', 'onnx'] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface BenchRow {
  model: string;
  layers: number;
  parameters: number;
  latencyMs: number;
  throughput: number;
  /** Seconds to encode `costSentences` sentences at this throughput. */
  costSeconds: number;
}

function syntheticBatch(model: SentenceModel, batch: number, seq: number, rng: Rng): TokenizedBatch {
  const n = batch * seq;
  // Ordinary vocabulary ids, past the special tokens at the start of BERT vocabularies.
  const lo = Math.min(1000, Math.floor(model.config.vocabSize / 2));
  const inputIds = new Int32Array(n).map(() => lo + Math.floor(rng.next() * (model.config.vocabSize - lo)));
  return { batch, seqLen: seq, inputIds, attentionMask: new Int32Array(n).fill(1), tokenTypeIds: new Int32Array(n), lengths: new Array(batch).fill(seq), truncated: 0 };
}

async function best(fn: () => Promise<void>, repeats: number): Promise<number> {
  await fn();
  let t = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

/** `distill bench`: the seed model cards' table, measured (never derived from layer counts). */
export async function benchModels(dirs: string[], o: { batch: number; seq: number; runtime: Runtime; costSentences?: number; repeats?: number }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const rng = new Rng(1);
  for (const dir of dirs) {
    const model = loadSentenceModel((await resolveModel(dir, { where: '--model' })).dir);
    // Set once the ONNX file exists: called on every path, so a failed run leaves no temp file.
    let release = async () => {};
    try {
      const seq = Math.min(o.seq, maxTokens(model.config));
      const b1 = syntheticBatch(model, 1, seq, rng);
      const bn = syntheticBatch(model, o.batch, seq, rng);
      let run: (b: TokenizedBatch) => Promise<void>;
      if (o.runtime === 'tfjs') {
        run = async (b) => {
          const e = embedBatch(model, b);
          await e.data();
          e.dispose();
        };
      } else {
        const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'distill-bench-'));
        const file = path.join(tmp, 'model.onnx');
        release = async () => fs.rmSync(tmp, { recursive: true, force: true });
        await readableSync(model.weights.values());
        fs.writeFileSync(file, buildBertOnnx(model, { opset: 17 }).bytes);
        const session = await ort.InferenceSession.create(file, { graphOptimizationLevel: 'all' });
        run = async (b) => {
          await session.run(onnxFeeds(session.inputNames, b));
        };
        release = async () => {
          await session.release();
          fs.rmSync(tmp, { recursive: true, force: true });
        };
      }
      const latencyMs = await best(() => run(b1), o.repeats ?? 5);
      const throughput = o.batch / ((await best(() => run(bn), Math.max(1, Math.floor((o.repeats ?? 5) / 2)))) / 1000);
      let parameters = 0;
      for (const w of model.weights.values()) parameters += w.size;
      rows.push({ model: dir, layers: model.config.numHiddenLayers, parameters, latencyMs, throughput, costSeconds: (o.costSentences ?? 10000) / throughput });
    } finally {
      await release();
      disposeSentenceModel(model);
    }
  }
  return rows;
}
