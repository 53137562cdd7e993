/**
 * Teacher batches by token count (tokenPlan) against the character-length
 * order used before, on the real teacher: real and padded token slots, and
 * encode-only sentences/s on tfjs and onnxruntime, interleaved A/B/A/B in
 * one process (BENCH_ROUNDS rounds, medians and per-round ratios), on the
 * first BENCH_SENTENCES of the shipped train set at BENCH_BATCH.
 * Run: node dist/bench/batch_plan_bench.js
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { currentBackend, selectBackend } from '../src/backend/select_backend';
import { OnnxEncoder } from '../src/export/onnx_encoder';
import { cachedOnnxFile } from '../src/export/onnx_model_cache';
import { embedBatch, encodeSentences } from '../src/model/sentence_encoder';
import { loadSentenceModel, SentenceModel } from '../src/model/sentence_model';
import { tokenizeBatch, TokenizedBatch } from '../src/tokenizer/sentence_tokenizer';

const ROOT = path.resolve(__dirname, '..', '..');
const N = Number(process.env.BENCH_SENTENCES ?? 2000);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** The batches before the plan: sorted by character length, longest first. */
function charBatches(model: SentenceModel, sentences: string[]): TokenizedBatch[] {
  const order = sentences.map((_, i) => i).sort((a, b) => sentences[b].length - sentences[a].length);
  const out: TokenizedBatch[] = [];
  for (let s = 0; s < order.length; s += BATCH) out.push(tokenizeBatch(model.tokenizer, order.slice(s, s + BATCH).map((i) => sentences[i]), model.maxSeqLength));
  return out;
}

async function rate(n: number, f: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await f();
  return n / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  await selectBackend('tensorflow');
  const model = loadSentenceModel(path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'));
  const lines = fs.readFileSync(path.join(ROOT, 'data', 'en', 'train-sentences.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  const sentences = lines.slice(0, N).map((l) => l.split('\t')[1]);
  const old = charBatches(model, sentences);
  const real = old.reduce((n, b) => n + b.lengths.reduce((a, x) => a + x, 0), 0);
  const padded = old.reduce((n, b) => n + b.batch * b.seqLen, 0);
  const plan = await encodeSentences(model, sentences, { batchSize: BATCH });
  console.log(`${N} sentences, batch ${BATCH}: ${real} real tokens; padded slots by character length ${padded} (+${(100 * (padded / real - 1)).toFixed(1)}%), by token plan ${plan.paddedTokens} (+${(100 * (plan.paddedTokens / plan.tokens - 1)).toFixed(1)}%)`);
  const onnx = await OnnxEncoder.open(cachedOnnxFile(model, path.join(os.tmpdir(), 'distill-batch-plan-bench-onnx')), currentBackend()?.threads ?? undefined);
  try {
    const runs: Record<string, () => Promise<unknown>> = {
      'tfjs char': async () => {
        for (const b of old) {
          const e = embedBatch(model, b);
          await e.data();
          e.dispose();
        }
      },
      'tfjs plan': () => encodeSentences(model, sentences, { batchSize: BATCH }),
      'onnx char': async () => {
        for (const b of old) await onnx.embedBatch(b);
      },
      'onnx plan': () => onnx.encodeWithStats(model.tokenizer, sentences, model.maxSeqLength, BATCH),
    };
    const got: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const [k, f] of Object.entries(runs)) got[k].push(await rate(N, f));
      console.log(`round ${r}: ${Object.entries(got).map(([k, v]) => `${k} ${v[r].toFixed(1)}`).join(', ')} sentences/s`);
    }
    const ratio = (a: string, b: string) => got[b].map((x, i) => x / got[a][i]);
    console.log(`medians: ${Object.entries(got).map(([k, v]) => `${k} ${median(v).toFixed(1)}`).join(', ')} sentences/s`);
    console.log(`plan / char per round: tfjs ${ratio('tfjs char', 'tfjs plan').map((x) => x.toFixed(2)).join(' ')}, onnx ${ratio('onnx char', 'onnx plan').map((x) => x.toFixed(2)).join(' ')}`);
  } finally {
    await onnx.release();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
