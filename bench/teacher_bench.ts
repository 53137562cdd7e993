/**
 * bench:teacher - sentences/s of `cache-teacher` (the teacher pass of a run)
 * for the real teacher on teacher.runtime tfjs and onnx, and of PyTorch
 * sentence-transformers `encode` on the same sentences (the first
 * BENCH_SENTENCES of the shipped train set), batch size and threads, in one
 * run, with the ratios. Each runtime is warmed on other sentences first (the
 * ONNX graph is exported then). The cache-teacher figure is the whole command
 * (reading the data, loading the model, planning, encoding, writing the cache
 * and the prepared dataset); the "teacher pass alone" figure times only the
 * runtime's encode, as PyTorch's figure times only `encode`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../src/backend/select_backend';
import { loadConfig } from '../src/config/parse_config';
import { cacheTeacher } from '../src/pipelines/cache_teacher';
import { teacherRuntime } from '../src/pipelines/teacher_runtime';
import { loadSentenceModel, disposeSentenceModel } from '../src/model/sentence_model';

const ROOT = path.resolve(__dirname, '..', '..');
const N = Number(process.env.BENCH_SENTENCES ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const WARM = 128;
const TEACHER = path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2');

function sentencesFile(dir: string, name: string, sentences: string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, ['sentence', ...sentences].join('\n') + '\n');
  return file;
}

/** cache-teacher's sentences/s on `runtime`, into its own fresh cache: warmed on `warm`, timed on `timed`. */
async function cacheTeacherRate(dir: string, runtime: string, warm: string, timed: string): Promise<number> {
  const cfg = (data: string) => {
    const file = path.join(dir, `${runtime}.yaml`);
    fs.writeFileSync(file, [
      `teacher: {model: ${TEACHER}, cache_dir: ${path.join(dir, runtime)}, runtime: ${runtime}, batch_size: ${BATCH}}`,
      'student: {layers: 3}',
      `data: {train: {path: ${data}, kind: sentences, columns: {text: sentence}}}`,
    ].join('\n'));
    return loadConfig(file);
  };
  await cacheTeacher(cfg(warm), { quiet: true });
  const s = await cacheTeacher(cfg(timed), { quiet: true });
  if (s.computed !== N || s.runtime !== runtime) throw new Error(`${runtime}: computed ${s.computed} of ${N} on ${s.runtime}`);
  return s.computed / s.seconds;
}

/**
 * The teacher pass alone: `runtime`'s encode (the batch plan cache-teacher
 * uses) over `timed`, after a warm-up, without start-up, reading the data or
 * writing the cache: what PyTorch's `encode` timing also leaves out.
 */
async function encodeOnlyRate(dir: string, runtime: 'tfjs' | 'onnx', warm: string[], timed: string[]): Promise<number> {
  const model = loadSentenceModel(TEACHER);
  const r = teacherRuntime(model, runtime, { onnxDir: path.join(dir, runtime, 'onnx') });
  try {
    await r.encode(warm, { batchSize: BATCH });
    const t0 = performance.now();
    await r.encode(timed, { batchSize: BATCH });
    return timed.length / ((performance.now() - t0) / 1000);
  } finally {
    await r.release();
    disposeSentenceModel(model);
  }
}

async function main() {
  const backend = await selectBackend();
  const threads = backend.threads ?? 1;
  const lines = fs.readFileSync(path.join(ROOT, 'data', 'en', 'train-sentences.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  const all = [...new Set(lines.map((l) => l.split('\t')[1]))];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-teacher-'));
  const warm = sentencesFile(dir, 'warm.tsv', all.slice(N, N + WARM));
  const timed = sentencesFile(dir, 'timed.tsv', all.slice(0, N));
  const tfjs = await cacheTeacherRate(dir, 'tfjs', warm, timed);
  const onnx = await cacheTeacherRate(dir, 'onnx', warm, timed);
  const tfjsEncode = await encodeOnlyRate(dir, 'tfjs', all.slice(N, N + WARM), all.slice(0, N));
  const onnxEncode = await encodeOnlyRate(dir, 'onnx', all.slice(N, N + WARM), all.slice(0, N));
  const plain = path.join(dir, 'timed.txt');
  fs.writeFileSync(plain, all.slice(0, N).join('\n') + '\n');
  const py = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'),
    [path.join(ROOT, 'py', 'bench_encode.py'), '--model', TEACHER, '--input', plain, '--batch', String(BATCH), '--threads', String(threads), '--repeats', '1'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1' } }).trim().split('\n').pop()!);
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`cache-teacher all-MiniLM-L6-v2: ${N} shipped sentences, batch ${BATCH}, ${threads} threads`);
  console.log(`  teacher.runtime tfjs (${backend.name}, TensorFlow ${backend.tensorflowVersion}): ${tfjs.toFixed(1)} sentences/s, ${(tfjs / py.sentences_per_second).toFixed(2)}x PyTorch`);
  console.log(`  teacher.runtime onnx (onnxruntime-node): ${onnx.toFixed(1)} sentences/s, ${(onnx / py.sentences_per_second).toFixed(2)}x PyTorch`);
  console.log(`  the teacher pass alone (encode in the batch plan; no start-up, data reading or cache writing): tfjs ${tfjsEncode.toFixed(1)} sentences/s, ${(tfjsEncode / py.sentences_per_second).toFixed(2)}x; onnx ${onnxEncode.toFixed(1)} sentences/s, ${(onnxEncode / py.sentences_per_second).toFixed(2)}x`);
  console.log(`  PyTorch sentence-transformers (torch ${py.torch}, ${py.threads} threads): ${py.sentences_per_second.toFixed(1)} sentences/s`);
  console.log(JSON.stringify({ benchmark: 'teacher', sentences: N, batch: BATCH, threads, tfjs_sentences_per_second: tfjs, onnx_sentences_per_second: onnx, pytorch_sentences_per_second: py.sentences_per_second, tfjs_ratio: tfjs / py.sentences_per_second, onnx_ratio: onnx / py.sentences_per_second, tfjs_encode_sentences_per_second: tfjsEncode, onnx_encode_sentences_per_second: onnxEncode, tfjs_encode_ratio: tfjsEncode / py.sentences_per_second, onnx_encode_ratio: onnxEncode / py.sentences_per_second }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
