/**
 * bench:train - training-step throughput of the `trainStep` that `distill
 * train` runs, this framework on the native backend vs the same step in
 * PyTorch, same machine and threads, with the ratio, in one run, on two shapes:
 * - seed: student 4 x 768 (random weights), batch 32, sequence 128, MSE to
 *   cached teacher embeddings, AdamW with clipping; matmul-bound.
 * - quickstart: configs/quickstart.yaml's 3 x 384 student of all-MiniLM-L6-v2
 *   on the first batches of its bucketed epoch plan over the shipped
 *   sentences; short sequences, so per-op overhead counts.
 * BENCH_SHAPE=seed|quickstart runs one; BENCH_STEPS (seed) and
 * BENCH_BATCHES (quickstart) set how much is timed.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '../src/backend/tf';
import { BackendInfo, selectBackend } from '../src/backend/select_backend';
import { bertArchitecture } from '../src/model/architectures/bert';
import { expectedBertShapes } from '../src/model/bert_weights';
import { AdamW, noDecayForNormAndBias } from '../src/distill/adamw';
import { buildLosses } from '../src/losses/loss_registry';
import { Trainer } from '../src/distill/trainer';
import { StepBatch } from '../src/distill/train_data';
import { SentenceModel } from '../src/model/sentence_model';
import { quickstartShape, writeBatchesJson } from './quickstart_shape';

const ROOT = path.resolve(__dirname, '..', '..');
const B = Number(process.env.BENCH_BATCH ?? 32);
const L = Number(process.env.BENCH_SEQ ?? 128);
const LAYERS = 4, H = 768, I = 3072, V = 30522;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);
const QS_BATCHES = Number(process.env.BENCH_BATCHES ?? 40);

interface PyResult { sentences_per_second: number; seconds_per_step: number; torch: string; threads: number; peak_rss_mb: number }

function pytorch(args: string[], threads: number): PyResult {
  const out = execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'py', 'bench_train_step.py'), '--threads', String(threads), ...args],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' } });
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** Seconds per call of `step` over `n` calls, after one warm-up call per distinct input. */
async function timeSteps(step: (i: number) => Promise<unknown>, n: number, warmup = 1): Promise<number> {
  for (let i = 0; i < warmup; i++) await step(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await step(i);
  return (performance.now() - t0) / 1000;
}

async function seedShape(backend: BackendInfo, threads: number): Promise<Record<string, number | string>> {
  const config = bertArchitecture.parseConfig({ model_type: 'bert', vocab_size: V, hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 12, intermediate_size: I, max_position_embeddings: 512 }, 'bench');
  const variables = new Map<string, tf.Variable>();
  for (const [name, shape] of expectedBertShapes(config)) {
    const init = name.includes('LayerNorm.weight') ? tf.ones(shape) : name.endsWith('.bias') || name.includes('LayerNorm') ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.02);
    variables.set(name, tf.variable(init, true));
    init.dispose();
  }
  const model = { config, weights: new Map(variables), pooling: { modes: ['mean'], dimension: H }, dense: [], normalize: false, maxSeqLength: L, stats: { sentencesEncoded: 0 } } as unknown as SentenceModel;
  const optimizer = new AdamW(variables, { eps: 1e-6, weightDecay: 0.01, noDecay: noDecayForNormAndBias });
  const losses = buildLosses([{ name: 'mse', weight: 1, options: {} }], { studentDim: H, teacherDim: H, seed: 1 });
  // The same trainStep that `distill train` runs: forward, MSE, gradients, clipping, guard, AdamW.
  const trainer = new Trainer({ student: model, variables, losses, optimizer, maxGradNorm: 1.0 });
  const inputIds = new Int32Array(B * L);
  for (let i = 0; i < inputIds.length; i++) inputIds[i] = 1000 + Math.floor(Math.random() * 19000);
  const teacher = new Float32Array(B * H).map(() => Math.random() - 0.5);
  const batch: StepBatch = {
    tokens: { batch: B, seqLen: L, inputIds, attentionMask: new Int32Array(B * L).fill(1), tokenTypeIds: new Int32Array(B * L), lengths: new Array(B).fill(L), truncated: 0 },
    teacher, teacherDim: H, groupSize: 1,
  };
  const sec = (await timeSteps(() => trainer.trainStep([batch], 1e-4), STEPS)) / STEPS;
  optimizer.dispose();
  tf.dispose([...variables.values()]);
  // Dense FLOPs of one step: forward 2*params_per_token*tokens plus attention, backward twice that.
  const tokens = B * L;
  const perLayer = 2 * tokens * (4 * H * H + 2 * H * I) + 2 * 2 * B * L * L * H;
  const flops = 3 * LAYERS * perLayer;
  const py = pytorch(['--batch', String(B), '--seq', String(L), '--steps', String(STEPS)], threads);
  const ours = B / sec;
  console.log(`seed shape: student ${LAYERS} x ${H}, batch ${B}, seq ${L}, MSE to cached teacher embeddings, AdamW + clipping, ${threads} threads`);
  console.log(`  this framework (${backend.name}, TensorFlow ${backend.tensorflowVersion}): ${ours.toFixed(1)} sentences/s, ${sec.toFixed(2)} s/step, ${(flops / sec / 1e9).toFixed(0)} GFLOP/s`);
  console.log(`  PyTorch ${py.torch} (${py.threads} threads): ${py.sentences_per_second.toFixed(1)} sentences/s, ${py.seconds_per_step.toFixed(2)} s/step, ${(flops / py.seconds_per_step / 1e9).toFixed(0)} GFLOP/s, peak RSS ${py.peak_rss_mb.toFixed(0)} MB`);
  console.log(`  ratio ours/PyTorch: ${(ours / py.sentences_per_second).toFixed(2)}x`);
  return { shape: 'seed', batch: B, seq: L, layers: LAYERS, hidden: H, ours_sentences_per_second: ours, pytorch_sentences_per_second: py.sentences_per_second, ratio: ours / py.sentences_per_second, ours_gflops: flops / sec / 1e9, pytorch_peak_rss_mb: py.peak_rss_mb };
}

async function quickstart(backend: BackendInfo, threads: number): Promise<Record<string, number | string>> {
  const shape = await quickstartShape(ROOT, QS_BATCHES);
  const { batches, run } = shape;
  const sentences = batches.reduce((n, b) => n + b.tokens.batch, 0);
  const meanSeq = batches.reduce((n, b) => n + b.tokens.seqLen, 0) / batches.length;
  const sec = await timeSteps((i) => run.trainer.trainStep([batches[i % batches.length]], 1e-4), batches.length, 3);
  run.dispose();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-train-')), 'batches.json');
  writeBatchesJson(file, shape);
  const py = pytorch(['--batches', file, '--warmup', '3'], threads);
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  const ours = sentences / sec;
  const c = run.student.model.config;
  console.log(`quickstart shape: configs/quickstart.yaml student ${c.numHiddenLayers} x ${c.hiddenSize} (layers ${shape.keptLayers.join(', ')} of all-MiniLM-L6-v2), first ${batches.length} bucketed batches of ${batches[0].tokens.batch} shipped sentences (mean padded length ${meanSeq.toFixed(1)}), ${threads} threads`);
  console.log(`  this framework (${backend.name}, TensorFlow ${backend.tensorflowVersion}): ${ours.toFixed(1)} sentences/s, ${(1000 * sec / batches.length).toFixed(0)} ms/step`);
  console.log(`  PyTorch ${py.torch} sentence-transformers (${py.threads} threads): ${py.sentences_per_second.toFixed(1)} sentences/s, ${(1000 * py.seconds_per_step).toFixed(0)} ms/step, peak RSS ${py.peak_rss_mb.toFixed(0)} MB`);
  console.log(`  ratio ours/PyTorch: ${(ours / py.sentences_per_second).toFixed(2)}x`);
  return { shape: 'quickstart', batches: batches.length, mean_seq: meanSeq, layers: c.numHiddenLayers, hidden: c.hiddenSize, ours_sentences_per_second: ours, pytorch_sentences_per_second: py.sentences_per_second, ratio: ours / py.sentences_per_second, pytorch_peak_rss_mb: py.peak_rss_mb };
}

async function main() {
  const backend = await selectBackend();
  const threads = backend.threads ?? 1;
  const which = process.env.BENCH_SHAPE ?? 'both';
  if (!['seed', 'quickstart', 'both'].includes(which)) throw new Error(`BENCH_SHAPE "${which}": expected seed, quickstart or both`);
  const results = [];
  if (which !== 'quickstart') results.push(await seedShape(backend, threads));
  if (which !== 'seed') results.push(await quickstart(backend, threads));
  // Peak RSS covers every shape run in this process.
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`  peak RSS (this process) ${rss.toFixed(0)} MB`);
  for (const r of results) console.log(JSON.stringify({ benchmark: 'train_step', ...r, peak_rss_mb: rss }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
