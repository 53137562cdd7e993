/**
 * bench:scale - `distill train` at growing dataset sizes: peak RSS, time to
 * the first step and steady steps/s, cold (teacher pass and prepared dataset
 * written) and warm (both on disk: a new run, and what a resume costs).
 * Each run is its own child process, so each RSS is its own. Sizes are made
 * from the shipped 20,000 sentences (data/en/train-sentences.tsv), a counter
 * appended past the first copy so every sentence is distinct. The teacher is
 * all-MiniLM-L6-v2 cut to 1 layer (py/make_small_teacher.py): real tokenizer
 * and 384 wide, cheap enough to encode millions of sentences.
 *
 * Modes: cold (empty teacher cache: teacher pass, then the prepared
 * dataset), prepare (teacher cache warm, prepared dataset written), warm
 * (both on disk). BENCH_TEACHER=copy fills the teacher cache of sizes past
 * 20,000 by copying the rows of the 20,000 base sentences (sentence i gets
 * base row i mod 20,000) instead of running the teacher: the same bytes on
 * disk and in memory, for measuring the prepare and warm paths at 2M without
 * the teacher pass (32 min at 2M on an idle 2-core machine, hours under
 * load); those sizes then run prepare,warm.
 *
 *   BENCH_SIZES=20000,200000,2000000 (default)   BENCH_STEPS=60   BENCH_MODES=cold,warm   BENCH_DIR (.cache/bench-scale)   BENCH_TEACHER=copy
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../src/backend/select_backend';
import { loadConfig } from '../src/config/parse_config';
import { trainRun } from '../src/pipelines/train_run';
import { sentenceKey } from '../src/data/sentence_key';
import { TeacherCache } from '../src/teacher/teacher_cache';

const ROOT = path.resolve(__dirname, '..', '..');
const WORK = process.env.BENCH_DIR ?? path.join(ROOT, '.cache', 'bench-scale');
const STEPS = Number(process.env.BENCH_STEPS ?? 60);

interface ChildResult {
  size: number;
  mode: string;
  firstStepS: number;
  stepsPerS: number;
  wallS: number;
  peakRssMb: number;
  reused: boolean;
  /** Seconds from process start to the models loaded (first log line) and to the data ready (the padding line, the last before training). */
  modelsS: number;
  dataS: number;
  /** Largest RSS and JS heap sampled after each training step: the loop's own footprint, without the end-of-run encode-speed pass. */
  trainRssMb: number;
  trainHeapMb: number;
}

/** In a child: one training run, timed from process start. */
async function child(config: string, size: number, mode: string): Promise<void> {
  await selectBackend();
  const stepAt: number[] = [];
  let reused = false;
  let trainRss = 0;
  let trainHeap = 0;
  let modelsS = NaN;
  let dataS = NaN;
  await trainRun(loadConfig(config), {
    quiet: true, forceNew: true, handleSignals: false,
    log: (l) => {
      if (Number.isNaN(modelsS)) modelsS = performance.now() / 1000;
      if (l.startsWith('padding')) dataS = performance.now() / 1000;
      if (l.startsWith('prepared dataset:')) reused = l.includes('(reused');
    },
    onStep: () => {
      stepAt.push(performance.now());
      const m = process.memoryUsage();
      trainRss = Math.max(trainRss, m.rss);
      trainHeap = Math.max(trainHeap, m.heapUsed);
    },
  });
  // Steady rate: after the first 10 steps (warm-up of kernels and the first window).
  const from = Math.min(10, stepAt.length - 1);
  const r: ChildResult = {
    size, mode, reused, modelsS, dataS, trainRssMb: trainRss / 2 ** 20, trainHeapMb: trainHeap / 2 ** 20,
    firstStepS: stepAt[0] / 1000,
    stepsPerS: (stepAt.length - 1 - from) / ((stepAt[stepAt.length - 1] - stepAt[from]) / 1000),
    wallS: performance.now() / 1000,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(r) + '\n');
}

function teacherDir(): string {
  const out = path.join(WORK, 'teacher-1x384');
  if (!fs.existsSync(path.join(out, 'modules.json'))) {
    execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'py', 'make_small_teacher.py'), '--src', path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'), '--out', out, '--layers', '1'],
      { stdio: 'inherit', env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' } });
  }
  return out;
}

function baseSentences(): string[] {
  return fs.readFileSync(path.join(ROOT, 'data', 'en', 'train-sentences.tsv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')[1]);
}

/** Sentence i of a bench dataset: base sentence i mod 20,000, with the copy number appended past the first copy. */
function sentenceAt(base: string[], i: number): string {
  const copy = Math.floor(i / base.length);
  return copy ? `${base[i % base.length]} (${copy})` : base[i % base.length];
}

/** BENCH_TEACHER=copy: the teacher cache rows of `size` sentences, copied from the base sentences' rows. */
function copyTeacherRows(size: number): void {
  const root = path.join(WORK, 'cache');
  const fp = fs.readdirSync(root).find((f) => fs.existsSync(path.join(root, f, 'teacher.json')));
  if (!fp) throw new Error(`BENCH_TEACHER=copy needs the 20,000 base rows in ${root}: run size 20000 first`);
  const cache = TeacherCache.open(root, fp, JSON.parse(fs.readFileSync(path.join(root, fp, 'teacher.json'), 'utf8')).dim);
  const base = baseSentences();
  const dim = cache.dim;
  const baseRows = new Float32Array(base.length * dim);
  if (cache.readMany(base.map(sentenceKey), baseRows)) throw new Error('the base sentences are not all in the teacher cache');
  const step = 65536;
  for (let s = 0; s < size; s += step) {
    const keys: string[] = [];
    const rows: number[] = [];
    for (let i = s; i < Math.min(size, s + step); i++) {
      const k = sentenceKey(sentenceAt(base, i));
      if (!cache.has(k)) (keys.push(k), rows.push(i % base.length));
    }
    const emb = new Float32Array(keys.length * dim);
    rows.forEach((r, j) => emb.set(baseRows.subarray(r * dim, (r + 1) * dim), j * dim));
    cache.add(keys, emb, `part-copy-${size}-${s}.arrow`);
  }
}

/** `size` distinct sentences from the shipped 20,000, written once. */
function dataset(size: number): string {
  const file = path.join(WORK, `sentences-${size}.tsv`);
  if (fs.existsSync(file)) return file;
  const base = baseSentences();
  const fd = fs.openSync(`${file}.tmp`, 'w');
  fs.writeSync(fd, 'text\n');
  for (let s = 0; s < size; s += 100_000) {
    const lines: string[] = [];
    for (let i = s; i < Math.min(size, s + 100_000); i++) lines.push(sentenceAt(base, i));
    fs.writeSync(fd, lines.join('\n') + '\n');
  }
  fs.closeSync(fd);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

function configFor(size: number, teacher: string): string {
  const file = path.join(WORK, `config-${size}.yaml`);
  fs.writeFileSync(file, [
    `name: scale-${size}`,
    `output_dir: ${path.join(WORK, `run-${size}`)}`,
    `teacher: {model: ${teacher}, cache_dir: ${path.join(WORK, 'cache')}, batch_size: 128}`,
    'student: {layers: 1}',
    'losses: [{name: mse}]',
    `data: {train: {path: ${dataset(size)}, kind: sentences}}`,
    `train: {epochs: 1, max_steps: ${STEPS}, batch_size: 32, lr: 0.0001, log_every: 10}`,
    'checkpoint: {every: 1000000, keep_last: 1}',
    'tracking: {experiment: scale}',
  ].join('\n') + '\n');
  return file;
}

function fmt(r: ChildResult | undefined, k: keyof ChildResult, digits: number): string {
  return r ? (r[k] as number).toFixed(digits) : '-';
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], Number(process.argv[4]), process.argv[5]);
  fs.mkdirSync(WORK, { recursive: true });
  const sizes = (process.env.BENCH_SIZES ?? '20000,200000,2000000').split(',').map(Number);
  const modes = (process.env.BENCH_MODES ?? 'cold,warm').split(',');
  const teacher = teacherDir();
  const results: ChildResult[] = [];
  const copy = process.env.BENCH_TEACHER === 'copy';
  for (const size of sizes) {
    const config = configFor(size, teacher);
    if (copy && size > 20000) {
      const t0 = performance.now();
      copyTeacherRows(size);
      process.stderr.write(`teacher cache of ${size} sentences filled by copying base rows in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    }
    for (const mode of copy && size > 20000 ? ['prepare', 'warm'] : modes) {
      if (mode === 'cold') fs.rmSync(path.join(WORK, 'cache'), { recursive: true, force: true });
      if (mode === 'prepare') for (const f of fs.readdirSync(path.join(WORK, 'cache'))) fs.rmSync(path.join(WORK, 'cache', f, 'prepared'), { recursive: true, force: true });
      const out = execFileSync('node', [__filename, '--child', config, String(size), mode], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
      results.push(r);
      process.stderr.write(`${JSON.stringify(r)}\n`);
    }
  }
  console.log(`bench:scale  (student 1 layer of a 1x384 all-MiniLM-L6-v2 cut, batch 32, ${STEPS} steps; steady = steps 10..${STEPS})`);
  console.log('| sentences | mode | prepared dataset | peak RSS MB | RSS in training MB | JS heap in training MB | models loaded s | data ready s | time to step 1 s | steady steps/s | wall s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.size} | ${r.mode} | ${r.reused ? 'reused' : 'written'} | ${fmt(r, 'peakRssMb', 0)} | ${fmt(r, 'trainRssMb', 0)} | ${fmt(r, 'trainHeapMb', 0)} | ${fmt(r, 'modelsS', 1)} | ${fmt(r, 'dataS', 1)} | ${fmt(r, 'firstStepS', 1)} | ${fmt(r, 'stepsPerS', 2)} | ${fmt(r, 'wallS', 1)} |`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
