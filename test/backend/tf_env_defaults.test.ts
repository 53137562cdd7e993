import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { applyTfEnvDefaults, TF_ENV_DEFAULTS } from '../../src/backend/tf_env_defaults';
import { CLI, ROOT } from '../helpers/env';

const NAMES = TF_ENV_DEFAULTS.map((d) => d.name);

/** This process's environment without any of our TensorFlow settings, plus `extra`. */
function envWith(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of NAMES) delete env[n];
  return { ...env, ...extra };
}

/**
 * Minor page faults per 4096 x 3072 float32 matmul result (48 MB) in a fresh
 * process on tfjs-node. The default CPU allocator gets each such buffer fresh
 * from the OS (one fault per 4 KiB page, ~12,300); the BFC allocator reuses
 * freed ones (~0). So this tells which allocator TensorFlow actually loaded with.
 */
function faultsPerMatmul(env: NodeJS.ProcessEnv): { faults: number; tfEnv: Array<{ name: string; value: string; source: string }> } {
  const lib = path.join(ROOT, 'dist', 'src', 'backend');
  const script = `
    const { selectBackend } = require(${JSON.stringify(path.join(lib, 'select_backend.js'))});
    const tf = require(${JSON.stringify(path.join(lib, 'tf.js'))});
    selectBackend('tensorflow').then(async (b) => {
      const a = tf.ones([4096, 8]), w = tf.ones([8, 3072]);
      const run = () => tf.tidy(() => tf.matMul(a, w).sum()).dataSync();
      for (let i = 0; i < 3; i++) run();
      const f0 = process.resourceUsage().minorPageFault;
      for (let i = 0; i < 5; i++) run();
      console.log(JSON.stringify({ faults: (process.resourceUsage().minorPageFault - f0) / 5, tfEnv: b.tfEnv }));
    });`;
  const p = spawnSync('node', ['-e', script], { encoding: 'utf8', env });
  assert.equal(p.status, 0, p.stderr);
  return JSON.parse(p.stdout.trim().split('\n').pop()!);
}

describe('TensorFlow allocator and threading settings', () => {
  test('set when unset; the user environment wins; a blank value is unset', () => {
    const env: NodeJS.ProcessEnv = {};
    const set = applyTfEnvDefaults(env);
    assert.deepEqual(set.map((s) => [s.name, s.value, s.source]), TF_ENV_DEFAULTS.map((d) => [d.name, d.value, 'default']));
    assert.equal(env.TF_CPU_ALLOCATOR_USE_BFC, '1');
    const mine: NodeJS.ProcessEnv = { TF_CPU_ALLOCATOR_USE_BFC: '0' };
    assert.deepEqual(applyTfEnvDefaults(mine).find((s) => s.name === 'TF_CPU_ALLOCATOR_USE_BFC'), { ...TF_ENV_DEFAULTS[0], value: '0', source: 'environment' });
    assert.equal(mine.TF_CPU_ALLOCATOR_USE_BFC, '0');
    const blank: NodeJS.ProcessEnv = { TF_CPU_ALLOCATOR_USE_BFC: ' ' };
    assert.equal(applyTfEnvDefaults(blank)[0].source, 'default');
    assert.equal(blank.TF_CPU_ALLOCATOR_USE_BFC, '1');
  });

  test('in effect in a fresh process: the BFC allocator reuses buffers, unless the user turns it off', () => {
    const ours = faultsPerMatmul(envWith());
    assert.deepEqual(ours.tfEnv.map((s) => s.source), NAMES.map(() => 'default'));
    assert.ok(ours.faults < 1000, `${ours.faults} page faults per 48 MB matmul with our default (BFC reuses buffers)`);
    const off = faultsPerMatmul(envWith({ TF_CPU_ALLOCATOR_USE_BFC: '0' }));
    assert.equal(off.tfEnv.find((s) => s.name === 'TF_CPU_ALLOCATOR_USE_BFC')!.source, 'environment');
    assert.ok(off.faults > 6000, `${off.faults} page faults per 48 MB matmul with the user's TF_CPU_ALLOCATOR_USE_BFC=0 (fresh pages per result)`);
  });

  test('distill doctor prints them, and says which came from the environment', () => {
    const run = (env: NodeJS.ProcessEnv, json: boolean) => {
      const p = spawnSync('node', [CLI, 'doctor', ...(json ? ['--json'] : [])], { encoding: 'utf8', env, cwd: ROOT });
      assert.equal(p.status, 0, p.stderr);
      return p.stdout;
    };
    const human = run(envWith(), false);
    for (const d of TF_ENV_DEFAULTS) assert.match(human, new RegExp(`${d.name}=${d.value} \\(default: `));
    const json = JSON.parse(run(envWith({ TF_CPU_ALLOCATOR_USE_BFC: '0' }), true));
    assert.deepEqual(json.tfEnv.find((s: { name: string }) => s.name === 'TF_CPU_ALLOCATOR_USE_BFC'), { ...TF_ENV_DEFAULTS[0], value: '0', source: 'environment' });
  });
});
