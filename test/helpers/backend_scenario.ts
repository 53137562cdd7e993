import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { currentBackend, selectBackend } from '../../src/backend/select_backend';
import { AdamW, noDecayForNormAndBias } from '../../src/distill/adamw';
import { buildStudent } from '../../src/distill/build_student';
import { batchTensors, studentForward } from '../../src/distill/student_forward';
import { makeBatch, TrainData } from '../../src/distill/train_data';
import { Trainer } from '../../src/distill/trainer';
import { buildLosses } from '../../src/losses/loss_registry';
import { bertForward } from '../../src/model/bert_encoder';
import { pool } from '../../src/model/pooling';
import { encodeSentences, embeddingDim } from '../../src/model/sentence_encoder';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { medianOffDiagonal } from '../../src/losses/median_off_diagonal';
import { TinyReference } from './tiny_model';

/** What one backend computed for a tiny model (backend_scenario.ts runScenario); compared across backends. */
export interface ScenarioResult {
  backend: string;
  adapter: unknown;
  /** Per layer (embeddings first), flattened [batch, seq, hidden]. */
  hiddenStates: number[][];
  /** Mean pooling of the last layer, flattened [batch, hidden]. */
  mean: number[];
  /** encodeSentences of `texts` (the encode command's path), flattened [texts, dim]. */
  encoded: number[];
  /** MSE loss of a 2-layer student to fixed targets, and its gradient per weight. */
  loss: number;
  grads: Record<string, number[]>;
  /** IBKD (HSIC term on, median kernel width) loss and gradient per weight, projection head included. */
  ibkdLoss: number;
  ibkdGrads: Record<string, number[]>;
  /** The median off-diagonal value of a fixed [8, 8] matrix, as the device selects it (losses/median_off_diagonal). */
  median: number;
  /** AdamW steps through Trainer.trainStep (clipping included): loss and grad norm per step, then the weights. */
  steps: { loss: number; gradNorm: number }[];
  weights: Record<string, number[]>;
}

export const SCENARIO_TEXTS = ['w1 w2 w3 w4 w5', 'w7 w8', 'w10 w11 w12 w13 w14 w15 w16 w17 w18'];
export const SCENARIO_STEPS = 3;

const read = async (t: tf.Tensor) => Array.from(await t.data());

/**
 * Runs on the current backend, reading every result asynchronously (the
 * webgpu backend has no synchronous read in Node). Shapes are tiny on
 * purpose: the software adapter (llvmpipe) is slow.
 */
export async function runScenario(modelDir: string): Promise<ScenarioResult> {
  const model = loadSentenceModel(modelDir);
  const ref: TinyReference = JSON.parse(fs.readFileSync(path.join(modelDir, 'reference.json'), 'utf8'));
  const mask = tf.tensor2d(ref.attention_mask, undefined, 'int32');
  const ids = tf.tensor2d(ref.input_ids, undefined, 'int32');
  const types = tf.tensor2d(ref.token_type_ids, undefined, 'int32');
  const out = bertForward(model.config, model.weights, { inputIds: ids, attentionMask: mask, tokenTypeIds: types }, { hiddenStates: true });
  const meanT = pool({ modes: ['mean'], dimension: model.config.hiddenSize }, out.lastHiddenState, mask);
  const hiddenStates = await Promise.all(out.hiddenStates!.map(read));
  const mean = await read(meanT);
  tf.dispose([mask, ids, types, meanT, out.lastHiddenState, ...out.hiddenStates!]);
  const encoded = Array.from((await encodeSentences(model, SCENARIO_TEXTS, { batchSize: 2 })).embeddings);

  const rows = ref.input_ids.map((r, i) => Int32Array.from(r.slice(0, ref.attention_mask[i].reduce((a, b) => a + b, 0))));
  const dim = embeddingDim(model);
  const data: TrainData = { ids: rows, teacher: Float32Array.from(ref.mean.flat().map((v, i) => v * 0.5 + Math.sin(i) * 0.1)), teacherDim: dim, padId: model.tokenizer.padId, rows: rows.map((_, i) => [i]) };
  const batch = makeBatch(data, rows.map((_, i) => i));
  const lossSpec = [{ name: 'mse', weight: 1, options: {} }];
  const ctx = { studentDim: dim, teacherDim: dim, seed: 1 };

  const g = buildStudent(model, { layers: 2 }, 1);
  const [mse] = buildLosses(lossSpec, ctx);
  const inputs = batchTensors(batch.tokens);
  const target = tf.tensor2d(batch.teacher, [batch.tokens.batch, dim]);
  const { value, grads } = tf.variableGrads(() => mse.loss.compute(studentForward(g.model, inputs, {}), { embedding: target }), [...g.variables.values()]);
  const keyOf = new Map([...g.variables].map(([k, v]) => [v.name, k]));
  const gradOut: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(grads)) gradOut[keyOf.get(name)!] = await read(t);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads), target, ...Object.values(inputs), ...g.variables.values()]);

  const ibkd = await ibkdGradients(model, batch, dim, ctx);
  const m = tf.tensor2d(MEDIAN_INPUT, [8, 8]);
  const medT = medianOffDiagonal(m);
  const median = (await medT.data())[0];
  tf.dispose([m, medT]);

  const s = buildStudent(model, { layers: 2 }, 1);
  const optimizer = new AdamW(s.variables, { eps: 1e-6, weightDecay: 0.01, noDecay: noDecayForNormAndBias });
  const trainer = new Trainer({ student: s.model, variables: s.variables, losses: buildLosses(lossSpec, ctx), optimizer, maxGradNorm: 1 });
  const steps = [];
  for (let i = 0; i < SCENARIO_STEPS; i++) {
    const r = await trainer.trainStep([batch], 1e-3);
    steps.push({ loss: r.loss, gradNorm: r.gradNorm });
  }
  const weights: Record<string, number[]> = {};
  for (const [k, v] of s.variables) weights[k] = await read(v);
  optimizer.dispose();
  tf.dispose([...s.variables.values()]);
  return { backend: tf.getBackend(), adapter: currentBackend()?.webgpuAdapter ?? null, hiddenStates, mean, encoded, loss, grads: gradOut, ibkdLoss: ibkd.loss, ibkdGrads: ibkd.grads, median, steps, weights };
}

/** Values with ties and a spread of magnitudes, so the selection (not a sort by accident) is what is checked. */
export const MEDIAN_INPUT = Array.from({ length: 64 }, (_, i) => Math.round(Math.abs(Math.sin(i * 1.7)) * 20) / 4);

/** IBKD's loss (InfoNCE + lambda * HSIC with the median kernel width) and its gradient for every student weight and the head. */
async function ibkdGradients(model: SentenceModel, batch: ReturnType<typeof makeBatch>, dim: number, ctx: { studentDim: number; teacherDim: number; seed: number }) {
  const g = buildStudent(model, { layers: 2 }, 1);
  const [ibkd] = buildLosses([{ name: 'ibkd', weight: 1, options: {} }], ctx);
  const inputs = batchTensors(batch.tokens);
  const target = tf.tensor2d(batch.teacher, [batch.tokens.batch, dim]);
  const trainable = [...g.variables.values(), ...ibkd.loss.params.values()] as tf.Variable[];
  const { value, grads } = tf.variableGrads(() => ibkd.loss.compute(studentForward(g.model, inputs, ibkd.loss.needs), { embedding: target }), trainable);
  const keyOf = new Map([...g.variables, ...ibkd.loss.params].map(([k, v]) => [(v as tf.Variable).name, k]));
  const out: Record<string, number[]> = {};
  for (const [name, t] of Object.entries(grads)) out[keyOf.get(name)!] = await read(t);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads), target, ...Object.values(inputs), ...g.variables.values(), ...ibkd.loss.params.values()]);
  return { loss, grads: out };
}

/** Child-process entry: `node backend_scenario.js <model dir> <out.json>`, backend from DISTILL_BACKEND. */
async function main(): Promise<void> {
  const [modelDir, outFile] = process.argv.slice(2);
  await selectBackend();
  fs.writeFileSync(outFile, JSON.stringify(await runScenario(modelDir)));
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
