import { before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { nativeBackendUnderTest } from '../helpers/native_backend';
import { AdamW, noDecayForNormAndBias } from '../../src/distill/adamw';
import { clipByGlobalNorm } from '../../src/distill/clip_grads';
import { warmupLinear } from '../../src/distill/lr_schedule';
import { Rng } from '../../src/util/rng';
import { runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten } from '../helpers/compare';

before(async () => {
  await selectBackend(nativeBackendUnderTest());
});

test('AdamW + warmup-linear + global-norm clipping follow torch.optim.AdamW for 12 steps', async () => {
  const rng = new Rng(11);
  const r = (n: number, s = 1) => Array.from({ length: n }, () => (rng.next() * 2 - 1) * s);
  const shapes: Record<string, number[]> = { 'encoder.layer.0.output.dense.weight': [4, 3], 'encoder.layer.0.output.dense.bias': [3], 'embeddings.LayerNorm.weight': [3] };
  const init: Record<string, number[]> = {};
  for (const [k, s] of Object.entries(shapes)) init[k] = r(s.reduce((a, b) => a * b, 1));
  const grads = Array.from({ length: 12 }, (_, i) => Object.fromEntries(Object.entries(init).map(([k, v]) => [k, r(v.length, i % 3 === 0 ? 5 : 0.2)])));
  const hp = { lr: 0.05, eps: 1e-6, wd: 0.1, warmup: 3, total: 12, max_norm: 1.0 };
  const dir = tmpDir();
  const nested = (k: string, v: number[]) => (shapes[k].length === 2 ? Array.from({ length: shapes[k][0] }, (_, i) => v.slice(i * shapes[k][1], (i + 1) * shapes[k][1])) : v);
  fs.writeFileSync(path.join(dir, 'in.json'), JSON.stringify({
    ...hp,
    params: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, nested(k, v)])),
    grads: grads.map((g) => Object.fromEntries(Object.entries(g).map(([k, v]) => [k, nested(k, v)]))),
  }));
  runPython('ref_adamw.py', [path.join(dir, 'in.json'), path.join(dir, 'out.json')]);
  const ref = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8'));

  const params = new Map(Object.entries(init).map(([k, v]) => [k, tf.variable(tf.tensor(v, shapes[k]), true, `adamw-test/${k}`)]));
  const opt = new AdamW(params, { eps: hp.eps, weightDecay: hp.wd, noDecay: noDecayForNormAndBias });
  const before = tf.memory().numTensors;
  for (const [step, g] of grads.entries()) {
    const m = new Map(Object.entries(g).map(([k, v]) => [k, tf.tensor(v, shapes[k])]));
    const norm = await clipByGlobalNorm(m, hp.max_norm);
    assert.ok(Math.abs(norm - ref.norms[step]) < 1e-4 * Math.max(1, norm), `norm at ${step}: ${norm} vs ${ref.norms[step]}`);
    opt.apply(m, warmupLinear(step, hp.lr, hp.warmup, hp.total));
    tf.dispose([...m.values()]);
  }
  assert.equal(tf.memory().numTensors, before, 'optimizer steps leak no tensors');
  for (const [k, p] of params) assertClose(p.dataSync(), flatten(ref.params[k]), 2e-6, k);
});

test('warmup-linear schedule matches transformers at the boundaries', () => {
  assert.equal(warmupLinear(0, 1, 10, 100), 0);
  assert.equal(warmupLinear(5, 1, 10, 100), 0.5);
  assert.equal(warmupLinear(10, 1, 10, 100), 1);
  assert.equal(warmupLinear(55, 1, 10, 100), 0.5);
  assert.equal(warmupLinear(100, 1, 10, 100), 0);
});
