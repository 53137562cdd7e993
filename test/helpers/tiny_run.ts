import * as fs from 'fs';
import * as path from 'path';
import { Rng } from '../../src/util/rng';
import { runPython, tmpDir } from './env';

/**
 * A tiny real training set-up: a random 4-layer BERT teacher made by PyTorch,
 * sentences over its vocabulary, STS-style dev pairs, and a config. Fast
 * enough for hundreds of steps in a test.
 */
export function tinyRun(opts: { steps: number; every?: number; sentences?: number; extra?: string[] } ): { dir: string; config: string; teacher: string } {
  const dir = tmpDir('distill-run-');
  const teacher = path.join(dir, 'teacher');
  runPython('make_tiny_bert.py', ['--out', teacher, '--seed', '4', '--layers', '4']);
  const rng = new Rng(9);
  const sentence = () => Array.from({ length: 3 + Math.floor(rng.next() * 14) }, () => `w${Math.floor(rng.next() * 95)}`).join(' ');
  const n = opts.sentences ?? 400;
  fs.writeFileSync(path.join(dir, 'train.tsv'), 'text\n' + Array.from({ length: n }, sentence).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'dev.tsv'), 'sentence1\tsentence2\tscore\n' + Array.from({ length: 60 }, () => `${sentence()}\t${sentence()}\t${(rng.next() * 5).toFixed(2)}`).join('\n') + '\n');
  const every = opts.every ?? 10;
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, [
    'name: tiny',
    `output_dir: ${path.join(dir, 'run')}`,
    `teacher: {model: ${teacher}, cache_dir: ${path.join(dir, 'cache')}}`,
    'student: {layers: 2}',
    'losses: [{name: mse}]',
    'data:',
    `  train: {path: ${path.join(dir, 'train.tsv')}, kind: sentences}`,
    `  dev: {path: ${path.join(dir, 'dev.tsv')}, kind: pairs, columns: {text_a: sentence1, text_b: sentence2}}`,
    `train: {epochs: 100, max_steps: ${opts.steps}, batch_size: 8, lr: 0.001, warmup_ratio: 0.1, eval_every: ${every}, log_every: 5}`,
    `checkpoint: {every: ${every}, keep_last: 2}`,
    ...(opts.extra ?? []),
  ].join('\n') + '\n');
  return { dir, config, teacher };
}

/**
 * Another config for the teacher and data of `base` (no second PyTorch
 * teacher to build): its own run folder `name`, steps and cadence, and
 * optionally its own teacher cache.
 */
export function tinyRunVariant(base: { dir: string; config: string }, name: string, opts: { steps: number; every?: number; ownCache?: boolean }): { config: string; runDir: string } {
  const runDir = path.join(base.dir, name);
  const every = opts.every ?? 10;
  const text = fs.readFileSync(base.config, 'utf8')
    .replace(/^output_dir: .*$/m, `output_dir: ${runDir}`)
    .replace(/max_steps: \d+/, `max_steps: ${opts.steps}`)
    .replace(/eval_every: \d+/, `eval_every: ${every}`)
    .replace(/checkpoint: \{every: \d+/, `checkpoint: {every: ${every}`)
    .replace(/cache_dir: [^}]*\}/, opts.ownCache ? `cache_dir: ${path.join(base.dir, `cache-${name}`)}}` : '$&');
  const config = path.join(base.dir, `${name}.yaml`);
  fs.writeFileSync(config, text);
  return { config, runDir };
}
