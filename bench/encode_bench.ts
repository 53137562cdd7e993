/**
 * bench:encode - sentences/s of `encode` for the real teacher on this
 * framework (tfjs-node) and on PyTorch sentence-transformers, same sentences
 * (all STS-B dev), batch size and thread count, in one run; prints the ratio.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { selectBackend } from '../src/backend/select_backend';
import { loadSentenceModel } from '../src/model/sentence_model';
import { encodeSentences } from '../src/model/sentence_encoder';
import { OnnxEncoder } from '../src/export/onnx_encoder';
import { cachedOnnxFile } from '../src/export/onnx_model_cache';

const ROOT = path.resolve(__dirname, '..', '..');
const batch = Number(process.env.BENCH_BATCH ?? 32);
const repeats = Number(process.env.BENCH_REPEATS ?? 2);
const modelDir = process.env.BENCH_MODEL ?? path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2');

function stsbDev(): string[] {
  const lines = fs.readFileSync(path.join(ROOT, 'data', 'en', 'stsb-dev.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  return [...new Set(lines.flatMap((l) => l.split('\t').slice(6, 8)))];
}

async function main() {
  const backend = await selectBackend();
  const threads = backend.threads ?? 1;
  const sentences = stsbDev();
  const model = loadSentenceModel(modelDir);
  await encodeSentences(model, sentences.slice(0, batch * 4), { batchSize: batch });
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await encodeSentences(model, sentences, { batchSize: batch });
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  const ours = sentences.length / best;
  // The same model exported to ONNX and run in onnxruntime-node (encode --runtime onnx).
  const enc = await OnnxEncoder.open(cachedOnnxFile(model, path.join(ROOT, '.cache', 'onnx')));
  await enc.encode(model.tokenizer, sentences.slice(0, batch * 4), model.maxSeqLength, batch);
  let bestOnnx = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await enc.encode(model.tokenizer, sentences, model.maxSeqLength, batch);
    bestOnnx = Math.min(bestOnnx, (performance.now() - t0) / 1000);
  }
  await enc.release();
  const onnx = sentences.length / bestOnnx;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')), 'in.txt');
  fs.writeFileSync(file, sentences.join('\n') + '\n');
  const py = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'),
    [path.join(ROOT, 'py', 'bench_encode.py'), '--model', modelDir, '--input', file, '--batch', String(batch), '--threads', String(threads), '--repeats', String(repeats)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, HF_HUB_OFFLINE: '1' } }).trim().split('\n').pop()!);
  const result = {
    benchmark: 'encode', model: path.basename(modelDir), sentences: sentences.length, batch, threads,
    backend: `${backend.name} (TensorFlow ${backend.tensorflowVersion})`,
    ours_sentences_per_second: +ours.toFixed(1),
    pytorch_sentences_per_second: +py.sentences_per_second.toFixed(1),
    pytorch: `torch ${py.torch}, ${py.threads} threads`,
    ratio: +(ours / py.sentences_per_second).toFixed(3),
    onnx_sentences_per_second: +onnx.toFixed(1),
    onnx_ratio: +(onnx / py.sentences_per_second).toFixed(3),
  };
  console.log(`encode ${result.model}: ${result.sentences} STS-B dev sentences, batch ${batch}, ${threads} threads`);
  console.log(`  this framework (${result.backend}): ${result.ours_sentences_per_second} sentences/s`);
  console.log(`  PyTorch sentence-transformers (${result.pytorch}): ${result.pytorch_sentences_per_second} sentences/s`);
  console.log(`  ratio ours/PyTorch: ${result.ratio}x`);
  console.log(`  this framework, encode --runtime onnx (onnxruntime-node): ${result.onnx_sentences_per_second} sentences/s, ratio ${result.onnx_ratio}x`);
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
