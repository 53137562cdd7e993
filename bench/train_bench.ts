/**
 * bench:train - training-step throughput for the seed shape: student
 * 4 layers x 768 (teacher 12 x 768 with cached embeddings, so the teacher
 * does not run), batch 32, sequence 128, random weights, MSE loss, AdamW with
 * clipping; this framework on the native backend vs the same step in PyTorch,
 * same machine and threads. Prints the ratio, achieved GFLOP/s and peak RSS.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import * as tf from '../src/backend/tf';
import { selectBackend } from '../src/backend/select_backend';
import { bertArchitecture } from '../src/model/architectures/bert';
import { expectedBertShapes } from '../src/model/bert_weights';
import { AdamW, noDecayForNormAndBias } from '../src/distill/adamw';
import { buildLosses } from '../src/losses/loss_registry';
import { Trainer } from '../src/distill/trainer';
import { StepBatch } from '../src/distill/train_data';
import { SentenceModel } from '../src/model/sentence_model';

const ROOT = path.resolve(__dirname, '..', '..');
const B = Number(process.env.BENCH_BATCH ?? 32);
const L = Number(process.env.BENCH_SEQ ?? 128);
const LAYERS = 4, H = 768, I = 3072, V = 30522;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);

async function main() {
  const backend = await selectBackend();
  const threads = backend.threads ?? 1;
  const config = bertArchitecture.parseConfig({ model_type: 'bert', vocab_size: V, hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 12, intermediate_size: I, max_position_embeddings: 512 }, 'bench');
  const variables = new Map<string, tf.Variable>();
  for (const [name, shape] of expectedBertShapes(config)) {
    const init = name.includes('LayerNorm.weight') ? tf.ones(shape) : name.endsWith('.bias') || name.includes('LayerNorm') ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.02);
    variables.set(name, tf.variable(init, true));
    init.dispose();
  }
  const model = { config, weights: new Map(variables), pooling: { modes: ['mean'], dimension: H }, normalize: false, maxSeqLength: L, stats: { sentencesEncoded: 0 } } as unknown as SentenceModel;
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
  const step = () => trainer.trainStep([batch], 1e-4);
  step();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const sec = (performance.now() - t0) / 1000 / STEPS;
  // Dense FLOPs of one step: forward 2*params_per_token*tokens plus attention, backward twice that.
  const tokens = B * L;
  const perLayer = 2 * tokens * (4 * H * H + 2 * H * I) + 2 * 2 * B * L * L * H;
  const flops = 3 * LAYERS * perLayer;
  const py = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'py', 'bench_train_step.py'), '--threads', String(threads), '--batch', String(B), '--seq', String(L), '--steps', String(STEPS)], { encoding: 'utf8' }).trim().split('\n').pop()!);
  const ours = B / sec;
  console.log(`train step: student ${LAYERS} x ${H}, batch ${B}, seq ${L}, MSE to cached teacher embeddings, AdamW + clipping, ${threads} threads`);
  console.log(`  this framework (${backend.name}, TensorFlow ${backend.tensorflowVersion}): ${ours.toFixed(1)} sentences/s, ${sec.toFixed(2)} s/step, ${(flops / sec / 1e9).toFixed(0)} GFLOP/s`);
  console.log(`  PyTorch ${py.torch} (${py.threads} threads): ${py.sentences_per_second.toFixed(1)} sentences/s, ${py.seconds_per_step.toFixed(2)} s/step, ${(flops / py.seconds_per_step / 1e9).toFixed(0)} GFLOP/s, peak RSS ${py.peak_rss_mb.toFixed(0)} MB`);
  console.log(`  ratio ours/PyTorch: ${(ours / py.sentences_per_second).toFixed(2)}x   peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(JSON.stringify({ benchmark: 'train_step', batch: B, seq: L, layers: LAYERS, hidden: H, ours_sentences_per_second: ours, pytorch_sentences_per_second: py.sentences_per_second, ratio: ours / py.sentences_per_second, ours_gflops: flops / sec / 1e9, peak_rss_mb: process.resourceUsage().maxRSS / 1024, pytorch_peak_rss_mb: py.peak_rss_mb }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
