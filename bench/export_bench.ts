/**
 * bench:export - the seed model cards' table in onnxruntime-node: parameters,
 * latency at batch 1 and throughput at batch 16 (sequence 256) for a teacher
 * and its layer-subset student, and the student/teacher throughput ratio.
 * Shapes: the 12 x 768 -> 4 x 768 seed shape (random weights: speed does not
 * depend on them) and the real all-MiniLM-L6-v2 -> 3-layer student. The same
 * 4-layer student in PyTorch is printed as the reference.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ort from 'onnxruntime-node';
import * as tf from '../src/backend/tf';
import { selectBackend } from '../src/backend/select_backend';
import { bertArchitecture } from '../src/model/architectures/bert';
import { expectedBertShapes } from '../src/model/bert_weights';
import { loadSentenceModel, SentenceModel } from '../src/model/sentence_model';
import { buildBertOnnx } from '../src/export/bert_onnx';
import { buildStudent } from '../src/distill/build_student';

const ROOT = path.resolve(__dirname, '..', '..');
const SEQ = 256;
const threads = os.availableParallelism?.() ?? os.cpus().length;

function randomBert(layers: number, H: number): SentenceModel {
  const config = bertArchitecture.parseConfig({ model_type: 'bert', vocab_size: 30522, hidden_size: H, num_hidden_layers: layers, num_attention_heads: H / 64, intermediate_size: 4 * H, max_position_embeddings: 512 }, 'bench');
  const weights = new Map<string, tf.Tensor>();
  for (const [name, shape] of expectedBertShapes(config)) weights.set(name, name.includes('LayerNorm.weight') ? tf.ones(shape) : tf.randomNormal(shape, 0, 0.02));
  const teacherLike = loadSentenceModel(path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'));
  return { ...teacherLike, config, weights, pooling: { modes: ['mean'], dimension: H }, normalize: false, maxSeqLength: SEQ };
}

async function measure(model: SentenceModel, dir: string, name: string) {
  const file = path.join(dir, `${name}.onnx`);
  fs.writeFileSync(file, buildBertOnnx(model, { opset: 17 }).bytes);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const feeds = (b: number) => {
    const ids = new BigInt64Array(b * SEQ).map(() => BigInt(1000 + Math.floor(Math.random() * 19000)));
    return { input_ids: new ort.Tensor('int64', ids, [b, SEQ]), attention_mask: new ort.Tensor('int64', new BigInt64Array(b * SEQ).fill(1n), [b, SEQ]), token_type_ids: new ort.Tensor('int64', new BigInt64Array(b * SEQ), [b, SEQ]) };
  };
  const time = async (b: number, repeats: number) => {
    const f = feeds(b);
    await session.run(f);
    let best = Infinity;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await session.run(f);
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  };
  const latency = await time(1, 10);
  const throughput = 16 / ((await time(16, 3)) / 1000);
  await session.release();
  let params = 0;
  for (const t of model.weights.values()) params += t.size;
  return { params, latencyMs: latency, throughput };
}

function row(name: string, r: { params: number; latencyMs: number; throughput: number }) {
  return `${name.padEnd(34)} ${(r.params / 1e6).toFixed(1).padStart(7)}M ${r.latencyMs.toFixed(1).padStart(10)} ms ${r.throughput.toFixed(1).padStart(10)} sent/s`;
}

async function main() {
  await selectBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-export-'));
  console.log(`onnxruntime-node ${ort.env.versions?.common ?? ''}, ${threads} threads, sequence ${SEQ}; latency at batch 1, throughput at batch 16`);
  console.log(`${'model'.padEnd(34)} ${'params'.padStart(8)} ${'latency'.padStart(13)} ${'throughput'.padStart(17)}`);
  const results: Record<string, unknown> = {};
  const seedTeacher = randomBert(12, 768);
  const seedStudent = buildStudent(seedTeacher, { layers: [1, 4, 7, 10] }).model;
  const t12 = await measure(seedTeacher, dir, 't12');
  const s4 = await measure(seedStudent, dir, 's4');
  console.log(row('teacher 12 x 768 (seed shape)', t12));
  console.log(row('student 4 x 768 [1,4,7,10]', s4));
  console.log(`${'student/teacher'.padEnd(34)} ${(100 * s4.params / t12.params).toFixed(0).padStart(7)}% ${(100 * (s4.latencyMs / t12.latencyMs - 1)).toFixed(0).padStart(9)}%    ${(s4.throughput / t12.throughput).toFixed(2).padStart(9)}x`);
  const real = loadSentenceModel(path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'));
  const realStudent = buildStudent(real, { layers: 3 }).model;
  const t6 = await measure({ ...real, maxSeqLength: SEQ }, dir, 't6');
  const s3 = await measure({ ...realStudent, maxSeqLength: SEQ }, dir, 's3');
  console.log(row('all-MiniLM-L6-v2 6 x 384', t6));
  console.log(row('student 3 x 384 [1,3,5]', s3));
  console.log(`${'student/teacher'.padEnd(34)} ${(100 * s3.params / t6.params).toFixed(0).padStart(7)}% ${(100 * (s3.latencyMs / t6.latencyMs - 1)).toFixed(0).padStart(9)}%    ${(s3.throughput / t6.throughput).toFixed(2).padStart(9)}x`);
  const py = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'py', 'bench_bert_infer.py'), '--layers', '4', '--threads', String(threads)], { encoding: 'utf8' }).trim().split('\n').pop()!);
  console.log(row(`student 4 x 768 in PyTorch ${py.torch}`, { params: py.params, latencyMs: py.latency_ms_b1, throughput: py.throughput_b16 }));
  console.log(`onnxruntime-node / PyTorch throughput, 4 x 768 student: ${(s4.throughput / py.throughput_b16).toFixed(2)}x`);
  Object.assign(results, { seed: { teacher: t12, student: s4, ratio: s4.throughput / t12.throughput }, minilm: { teacher: t6, student: s3, ratio: s3.throughput / t6.throughput }, pytorch_student: py });
  console.log(JSON.stringify({ benchmark: 'export', ...results }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
