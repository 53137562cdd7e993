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
import { parseBertConfig } from '../src/model/bert_config';
import { expectedBertShapes } from '../src/model/bert_weights';
import { AdamW, noDecayForNormAndBias } from '../src/distill/adamw';
import { clipByGlobalNorm } from '../src/distill/clip_grads';
import { studentForward } from '../src/distill/student_forward';
import { SentenceModel } from '../src/model/sentence_model';

const ROOT = path.resolve(__dirname, '..', '..');
const B = Number(process.env.BENCH_BATCH ?? 32);
const L = Number(process.env.BENCH_SEQ ?? 128);
const LAYERS = 4, H = 768, I = 3072, V = 30522;
const STEPS = Number(process.env.BENCH_STEPS ?? 5);

async function main() {
  const backend = await selectBackend();
  const threads = backend.threads ?? 1;
  const config = parseBertConfig({ model_type: 'bert', vocab_size: V, hidden_size: H, num_hidden_layers: LAYERS, num_attention_heads: 12, intermediate_size: I, max_position_embeddings: 512 });
  const variables = new Map<string, tf.Variable>();
  for (const [name, shape] of expectedBertShapes(config)) {
    const init = name.includes('LayerNorm.weight') ? tf.ones(shape) : name.endsWith('.bias') || name.includes('LayerNorm') ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.02);
    variables.set(name, tf.variable(init, true, `bench/${name}`));
  }
  const model = { config, weights: new Map(variables), pooling: { modes: ['mean'], dimension: H }, normalize: false, maxSeqLength: L } as unknown as SentenceModel;
  const opt = new AdamW(variables, { eps: 1e-6, weightDecay: 0.01, noDecay: noDecayForNormAndBias });
  const ids = tf.randomUniform([B, L], 1000, 20000, 'int32') as tf.Tensor2D;
  const inputs = { inputIds: ids, attentionMask: tf.ones([B, L], 'int32') as tf.Tensor2D, tokenTypeIds: tf.zeros([B, L], 'int32') as tf.Tensor2D };
  const target = tf.randomNormal([B, H]) as tf.Tensor2D;
  const names = new Map([...variables].map(([k, v]) => [v.name, k]));
  const step = () => {
    const { value, grads } = tf.variableGrads(() => studentForward(model, inputs, {}).embedding.sub(target).square().mean() as tf.Scalar, [...variables.values()]);
    const g = new Map(Object.entries(grads).map(([n, t]) => [names.get(n)!, t]));
    clipByGlobalNorm(g, 1.0);
    opt.apply(g, 1e-4);
    tf.dispose([value, ...g.values()]);
  };
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
