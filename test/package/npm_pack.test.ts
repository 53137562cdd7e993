import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, runPython, tmpDir } from '../helpers/env';

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26, env: { ...process.env, npm_config_nodedir: undefined } as NodeJS.ProcessEnv });

/** The consumer's script: the same in TypeScript and plain JavaScript, apart from the import line. */
function consumerScript(importLine: string, teacher: string, dir: string): string {
  return `${importLine}
async function main() {
  await distill.selectBackend('tensorflow');
  const losses = distill.createLossRegistry().register(distill.defineLoss({
    name: 'l1',
    description: 'mean absolute difference of sentence embeddings',
    options: { scale: { type: 'number', description: 'multiplies the loss', default: 1, min: 0 } },
    build(options, ctx) {
      return {
        name: 'l1',
        params: new Map(),
        needs: {},
        compute: (s, t) => distill.tf.tidy(() => s.embedding.sub(t.embedding).abs().mean().mul(options.scale)),
      };
    },
  }));
  const cfg = distill.resolveConfig({
    output_dir: ${JSON.stringify(path.join(dir, 'run'))},
    teacher: { model: ${JSON.stringify(teacher)}, cache: false },
    student: { layers: 1 },
    losses: [{ name: 'l1', scale: 2 }],
    data: { train: { path: ${JSON.stringify(path.join(dir, 'train.tsv'))}, kind: 'sentences' } },
    train: { max_steps: 2, batch_size: 4, log_every: 1 },
  }, { losses });
  let bad = '';
  try {
    distill.resolveConfig({ teacher: { model: 'm' }, student: { layers: 1 }, losses: [{ name: 'l1', scale: 'big' }], data: { train: { path: 'x.tsv', kind: 'sentences' } } }, { losses });
  } catch (e) {
    bad = String(e instanceof Error ? e.message : e);
  }
  const before = distill.tf.memory().numTensors;
  const s = await distill.trainRun(cfg, { quiet: true, log: () => {}, registries: { losses } });
  console.log(JSON.stringify({ steps: s.steps, tensorsBefore: before, tensorsAfter: distill.tf.memory().numTensors, bad, metrics: require('fs').readFileSync(${JSON.stringify(path.join(dir, 'run', 'metrics.jsonl'))}, 'utf8') }));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;
}

describe('the package, installed from its tarball into a fresh project', () => {
  let project: string;
  let teacher: string;
  before(() => {
    const dir = tmpDir('distill-pack-');
    const tgz = run('npm', ['pack', '--silent', '--pack-destination', dir], ROOT).trim().split('\n').pop()!;
    project = path.join(dir, 'consumer');
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    // tfjs-node's own install script downloads libtensorflow; install it without scripts and
    // give it the binding set-up built (the same library the project tests with).
    run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, tgz), '@tensorflow/tfjs-node@4.22.0'], project);
    const tfn = path.join(project, 'node_modules', '@tensorflow', 'tfjs-node');
    fs.cpSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node', 'lib'), path.join(tfn, 'lib'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node', 'deps'), path.join(tfn, 'deps'));
    teacher = path.join(dir, 'teacher');
    runPython('make_tiny_bert.py', ['--out', teacher, '--seed', '4', '--layers', '2']);
  });

  test('the tarball holds the library and its declarations, not tests or benchmarks', () => {
    const pkg = path.join(project, 'node_modules', 'bert-distill');
    assert.ok(fs.existsSync(path.join(pkg, 'dist', 'src', 'index.js')));
    assert.ok(fs.existsSync(path.join(pkg, 'dist', 'src', 'index.d.ts')));
    assert.ok(!fs.existsSync(path.join(pkg, 'dist', 'test')), 'no tests in the package');
    assert.ok(!fs.existsSync(path.join(pkg, 'dist', 'bench')), 'no benchmarks in the package');
    // One tfjs-core for the user's code and ours: tfjs is a peer, installed once at the top.
    assert.ok(!fs.existsSync(path.join(pkg, 'node_modules', '@tensorflow')), 'tfjs is not nested inside the package');
  });

  for (const lang of ['ts', 'js'] as const) {
    test(`imported by name from ${lang === 'ts' ? 'TypeScript' : 'plain JavaScript'}: a custom loss registered, validated and trained for two steps`, () => {
      const dir = tmpDir('distill-consumer-');
      const rng = (i: number) => Array.from({ length: 3 + (i % 7) }, (_, j) => `w${(i * 13 + j * 7) % 95}`).join(' ');
      fs.writeFileSync(path.join(dir, 'train.tsv'), 'text\n' + Array.from({ length: 16 }, (_, i) => rng(i)).join('\n') + '\n');
      const file = path.join(project, `main_${path.basename(dir)}.${lang}`);
      fs.writeFileSync(file, consumerScript(lang === 'ts' ? "import * as distill from 'bert-distill';" : "const distill = require('bert-distill');", teacher, dir));
      let js = file;
      if (lang === 'ts') {
        run(path.join(ROOT, 'node_modules', '.bin', 'tsc'), ['--strict', '--noImplicitAny', 'false', '--target', 'es2022', '--module', 'commonjs', '--moduleResolution', 'node', '--esModuleInterop', '--skipLibCheck', '--types', 'node', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), file], project);
        js = file.replace(/\.ts$/, '.js');
      }
      const out = JSON.parse(run('node', [js], project).trim().split('\n').pop()!);
      assert.equal(out.steps, 2);
      const logged = out.metrics.trim().split('\n').map((l: string) => JSON.parse(l)).filter((m: Record<string, number>) => m['loss/l1'] !== undefined);
      assert.deepEqual(logged.map((m: Record<string, number>) => m.step), [1, 2]);
      assert.ok(logged.every((m: Record<string, number>) => Number.isFinite(m['loss/l1']) && m['loss/l1'] > 0));
      assert.match(out.bad, /losses\[0\]\.scale/, 'the custom option is validated at parse time');
      assert.equal(out.tensorsAfter, out.tensorsBefore);
    });
  }
});
