/**
 * bench:gpu - encode and training-step throughput of a random BERT on the
 * backend chosen for this machine (on a GPU machine: webgpu on its hardware
 * adapter, or tensorflow-gpu), next to PyTorch on the same device (CUDA when
 * PyTorch sees a GPU, else its CPU), with the ratios, in one run. The
 * training step is the Trainer.trainStep `distill train` runs (forward, MSE,
 * gradients, clipping, AdamW); encode is forward + mean pooling.
 * Shape: BENCH_LAYERS x BENCH_HIDDEN, BENCH_BATCH x BENCH_SEQ, BENCH_STEPS
 * timed steps; on a software adapter a small default shape (it is slow).
 * BENCH_CHECK_MODEL: a tiny model folder (py/make_tiny_bert.py) whose
 * PyTorch reference.json is checked first on this backend.
 * BENCH_PYTHON: the Python with torch and transformers (default .venv, then python3).
 * It runs from the repo's dist/ or from the folder scripts/pack_gpu_bench.sh packs.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../src/backend/tf';
import { BackendInfo, selectBackend } from '../src/backend/select_backend';
import { bertArchitecture } from '../src/model/architectures/bert';
import { bertForward } from '../src/model/bert_encoder';
import { expectedBertShapes } from '../src/model/bert_weights';
import { pool } from '../src/model/pooling';
import { AdamW, noDecayForNormAndBias } from '../src/distill/adamw';
import { buildLosses } from '../src/losses/loss_registry';
import { Trainer } from '../src/distill/trainer';
import { StepBatch } from '../src/distill/train_data';
import { loadSentenceModel, SentenceModel } from '../src/model/sentence_model';

const ROOT = path.resolve(__dirname, '..', '..');
const V = 30522;

interface PyResult { device: string; cuda: boolean; torch: string; threads: number; encode_sentences_per_second: number; train_sentences_per_second: number }

function shape(software: boolean) {
  const n = (k: string, d: number, small: number) => Number(process.env[k] ?? (software ? small : d));
  return { layers: n('BENCH_LAYERS', 4, 2), hidden: n('BENCH_HIDDEN', 768, 128), batch: n('BENCH_BATCH', 32, 8), seq: n('BENCH_SEQ', 128, 32), steps: n('BENCH_STEPS', 10, 3) };
}

function randomBert(s: ReturnType<typeof shape>): { model: SentenceModel; variables: Map<string, tf.Variable> } {
  const config = bertArchitecture.parseConfig({ model_type: 'bert', vocab_size: V, hidden_size: s.hidden, num_hidden_layers: s.layers, num_attention_heads: Math.max(1, s.hidden / 64), intermediate_size: 4 * s.hidden, max_position_embeddings: 512 }, 'bench');
  const variables = new Map<string, tf.Variable>();
  for (const [name, sh] of expectedBertShapes(config)) {
    const init = name.includes('LayerNorm.weight') ? tf.ones(sh) : name.endsWith('.bias') || name.includes('LayerNorm') ? tf.zeros(sh) : tf.randomNormal(sh, 0, 0.02);
    variables.set(name, tf.variable(init, true));
    init.dispose();
  }
  const model = { config, weights: new Map(variables), pooling: { modes: ['mean'], dimension: s.hidden }, dense: [], normalize: false, maxSeqLength: s.seq, stats: { sentencesEncoded: 0 } } as unknown as SentenceModel;
  return { model, variables };
}

async function timed(f: () => Promise<unknown>, n: number): Promise<number> {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await f();
  return (performance.now() - t0) / 1000 / n;
}

async function ours(s: ReturnType<typeof shape>): Promise<{ encode: number; train: number }> {
  const { model, variables } = randomBert(s);
  const inputIds = new Int32Array(s.batch * s.seq).map(() => Math.floor(Math.random() * V));
  const tokens = { batch: s.batch, seqLen: s.seq, inputIds, attentionMask: new Int32Array(s.batch * s.seq).fill(1), tokenTypeIds: new Int32Array(s.batch * s.seq), lengths: new Array(s.batch).fill(s.seq), truncated: 0 };
  const encode = await timed(async () => {
    const e = tf.tidy(() => {
      const mask = tf.tensor2d(tokens.attentionMask, [s.batch, s.seq], 'int32');
      const out = bertForward(model.config, model.weights, { inputIds: tf.tensor2d(inputIds, [s.batch, s.seq], 'int32'), attentionMask: mask, tokenTypeIds: tf.tensor2d(tokens.tokenTypeIds, [s.batch, s.seq], 'int32') }, {});
      return pool({ modes: ['mean'], dimension: s.hidden }, out.lastHiddenState, mask);
    });
    await e.data();
    e.dispose();
  }, s.steps);
  const optimizer = new AdamW(variables, { eps: 1e-6, weightDecay: 0.01, noDecay: noDecayForNormAndBias });
  const losses = buildLosses([{ name: 'mse', weight: 1, options: {} }], { studentDim: s.hidden, teacherDim: s.hidden, seed: 1 });
  const trainer = new Trainer({ student: model, variables, losses, optimizer, maxGradNorm: 1.0 });
  const batch: StepBatch = { tokens, teacher: new Float32Array(s.batch * s.hidden).map(() => Math.random() - 0.5), teacherDim: s.hidden, groupSize: 1 };
  const train = await timed(() => trainer.trainStep([batch], 1e-4), s.steps);
  optimizer.dispose();
  tf.dispose([...variables.values()]);
  return { encode: s.batch / encode, train: s.batch / train };
}

/** Max |ours - PyTorch| of the tiny model's mean-pooled embeddings (reference.json from py/make_tiny_bert.py). */
async function check(dir: string): Promise<number> {
  const m = loadSentenceModel(dir);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'reference.json'), 'utf8'));
  const mean = tf.tidy(() => {
    const mask = tf.tensor2d(ref.attention_mask, undefined, 'int32');
    const out = bertForward(m.config, m.weights, { inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'), attentionMask: mask, tokenTypeIds: tf.tensor2d(ref.token_type_ids, undefined, 'int32') }, {});
    return pool({ modes: ['mean'], dimension: m.config.hiddenSize }, out.lastHiddenState, mask);
  });
  const got = await mean.data();
  mean.dispose();
  const want = (ref.mean as number[][]).flat();
  return want.reduce((d, v, i) => Math.max(d, Math.abs(v - got[i])), 0);
}

function python(): string {
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  return process.env.BENCH_PYTHON ?? (fs.existsSync(venv) ? venv : 'python3');
}

function describeDevice(b: BackendInfo): string {
  if (b.webgpuAdapter) return `${b.name} on ${b.webgpuAdapter.software ? 'a SOFTWARE adapter (CPU rasteriser)' : 'a hardware adapter'}: ${b.webgpuAdapter.device || b.webgpuAdapter.description} (${b.webgpuAdapter.description})`;
  return `${b.name}${b.tensorflowVersion ? ` (TensorFlow ${b.tensorflowVersion})` : ''}`;
}

async function main() {
  const backend = await selectBackend();
  const software = !!backend.webgpuAdapter?.software;
  const s = shape(software);
  const checkDir = process.env.BENCH_CHECK_MODEL;
  const checkDiff = checkDir ? await check(checkDir) : null;
  const o = await ours(s);
  const py: PyResult = JSON.parse(execFileSync(python(), [path.join(ROOT, 'py', 'bench_gpu.py'), '--layers', String(s.layers), '--hidden', String(s.hidden), '--batch', String(s.batch), '--seq', String(s.seq), '--steps', String(s.steps)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1' } }).trim().split('\n').pop()!);
  const gpuVsGpu = !software && !!backend.webgpuAdapter && py.cuda;
  const result = {
    benchmark: 'gpu', shape: s, ours: describeDevice(backend), pytorch: `torch ${py.torch} on ${py.cuda ? `CUDA: ${py.device}` : `CPU (${py.threads} threads)`}`,
    gpu_figures: gpuVsGpu || (backend.name === 'tensorflow-gpu' && py.cuda),
    tiny_model_max_abs_diff_vs_pytorch: checkDiff,
    encode_sentences_per_second: { ours: +o.encode.toFixed(2), pytorch: +py.encode_sentences_per_second.toFixed(2), ratio: +(o.encode / py.encode_sentences_per_second).toFixed(3) },
    train_sentences_per_second: { ours: +o.train.toFixed(2), pytorch: +py.train_sentences_per_second.toFixed(2), ratio: +(o.train / py.train_sentences_per_second).toFixed(3) },
  };
  console.log(`bench:gpu  BERT ${s.layers} x ${s.hidden} (random weights), batch ${s.batch}, seq ${s.seq}, ${s.steps} timed steps`);
  console.log(`  ours:    ${result.ours}`);
  console.log(`  PyTorch: ${result.pytorch}`);
  if (!result.gpu_figures) console.log('  NOTE: these are NOT GPU figures: ' + (software ? 'webgpu ran on a software adapter' : `our side ran on ${backend.name}`) + (py.cuda ? '' : ', PyTorch on the CPU') + '.');
  if (checkDiff !== null) console.log(`  tiny-model check: mean-pooled embeddings within ${checkDiff.toExponential(2)} of PyTorch's reference`);
  console.log(`  encode: ours ${result.encode_sentences_per_second.ours} sent/s, PyTorch ${result.encode_sentences_per_second.pytorch} sent/s, ratio ${result.encode_sentences_per_second.ratio}x`);
  console.log(`  train step: ours ${result.train_sentences_per_second.ours} sent/s, PyTorch ${result.train_sentences_per_second.pytorch} sent/s, ratio ${result.train_sentences_per_second.ratio}x`);
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
