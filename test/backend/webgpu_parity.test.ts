import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { MEDIAN_INPUT, runScenario, ScenarioResult, SCENARIO_STEPS } from '../helpers/backend_scenario';
import { assertClose, flatten, maxAbsDiff } from '../helpers/compare';
import { tmpDir } from '../helpers/env';
import { makeTinyModel, TinyModel } from '../helpers/tiny_model';

// The webgpu backend (Dawn) on Mesa's software OpenGL adapter (llvmpipe), in
// a child process (the backend is chosen once per process), against
// PyTorch's forward pass and against the native tensorflow backend for
// encode, gradients and AdamW steps. float32 throughout: differences are
// summation order only, measured ~1e-7 relative.
const FORWARD_TOL = 2e-5; // absolute, O(1) values, as test/model/bert_layers.test.ts
const REL_TOL = 1e-5; // relative to the largest magnitude of the tensor compared

const largest = (xs: ArrayLike<number>[]) => Math.max(...xs.map((x) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0)));

/**
 * Max difference relative to `scale`, by default the tensor's largest
 * magnitude. Gradients use the largest gradient of all: some are zero in
 * exact arithmetic (a key bias cancels in softmax) and hold only rounding.
 */
function assertRel(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, scale = largest([expected])): void {
  const r = maxAbsDiff(actual, expected) / Math.max(scale, 1e-30);
  assert.ok(r <= REL_TOL, `${label}: max difference ${r.toExponential(2)} of ${scale.toExponential(2)} > ${REL_TOL}`);
}

/** Runs the scenario on webgpu (software adapter) in a child process. */
export function runOnWebgpu(modelDir: string): ScenarioResult {
  const out = path.join(tmpDir(), 'webgpu.json');
  const child = path.join(__dirname, '..', 'helpers', 'backend_scenario.js');
  const p = spawnSync(process.execPath, [child, modelDir, out], {
    encoding: 'utf8',
    env: { ...process.env, DISTILL_BACKEND: 'webgpu', DISTILL_WEBGPU_ADAPTER: 'software' },
    timeout: 180_000,
  });
  assert.equal(p.status, 0, `webgpu child failed: ${p.stderr.slice(-3000)}`);
  assert.doesNotMatch(p.stderr, /Error while parsing WGSL|is invalid due to a previous error|exceeds the maximum/, 'no WebGPU validation errors');
  assert.match(p.stderr, /^backend: webgpu .*adapter .*\[software, Dawn OpenGL\]/m, 'the backend line names the webgpu adapter');
  return JSON.parse(fs.readFileSync(out, 'utf8'));
}

describe('webgpu backend (software adapter) vs PyTorch and the tensorflow backend', () => {
  let tiny: TinyModel;
  let native: ScenarioResult;
  let gpu: ScenarioResult;
  before(async () => {
    await selectBackend('tensorflow');
    tiny = makeTinyModel(path.join(tmpDir(), 'tiny'), ['--seed', '1']);
    native = await runScenario(tiny.dir);
    gpu = runOnWebgpu(tiny.dir);
  });

  test('the child really ran on webgpu, on a named software adapter', () => {
    assert.equal(native.backend, 'tensorflow');
    assert.equal(gpu.backend, 'webgpu');
    const a = gpu.adapter as { software: boolean; dawnBackend: string; device: string; description: string };
    assert.ok(a, 'adapter info reported');
    assert.equal(a.software, true);
    assert.equal(a.dawnBackend, 'opengl');
    assert.match(`${a.device} ${a.description}`, /llvmpipe|Mesa/i);
  });

  test('forward: hidden states of every layer and mean pooling match PyTorch', () => {
    assert.equal(gpu.hiddenStates.length, tiny.ref.hidden_states.length);
    gpu.hiddenStates.forEach((h, l) => assertClose(h, flatten(tiny.ref.hidden_states[l]), FORWARD_TOL, `hidden state ${l}`));
    assertClose(gpu.mean, flatten(tiny.ref.mean), FORWARD_TOL, 'mean pooling');
  });

  test('encode (batched, length-sorted) matches the tensorflow backend', () => {
    assertRel(gpu.encoded, native.encoded, 'encoded embeddings');
  });

  test('MSE loss and the gradient of every weight match the tensorflow backend', () => {
    assert.ok(Math.abs(gpu.loss - native.loss) <= REL_TOL * native.loss, `loss ${gpu.loss} vs ${native.loss}`);
    assert.deepEqual(Object.keys(gpu.grads).sort(), Object.keys(native.grads).sort());
    assert.ok(Object.keys(native.grads).some((k) => k.includes('word_embeddings')), 'the embedding gradient (UnsortedSegmentSum) is covered');
    const scale = largest(Object.values(native.grads));
    for (const [k, g] of Object.entries(native.grads)) assertRel(gpu.grads[k], g, `gradient ${k}`, scale);
  });

  test('IBKD with HSIC and the median kernel width (selected on the device on webgpu): loss and every gradient match the tensorflow backend', () => {
    // The median is a selection: exactly the value the synchronous path sorts out, on both backends.
    const sorted = MEDIAN_INPUT.filter((_, i) => i % 9 !== 0).sort((a, b) => a - b);
    assert.equal(native.median, sorted[Math.floor(sorted.length / 2)]);
    assert.equal(gpu.median, native.median);
    assert.ok(Math.abs(gpu.ibkdLoss - native.ibkdLoss) <= REL_TOL * Math.abs(native.ibkdLoss), `loss ${gpu.ibkdLoss} vs ${native.ibkdLoss}`);
    assert.deepEqual(Object.keys(gpu.ibkdGrads).sort(), Object.keys(native.ibkdGrads).sort());
    assert.ok('ibkd.head.weight' in native.ibkdGrads, 'the projection head is trained');
    const scale = largest(Object.values(native.ibkdGrads));
    for (const [k, g] of Object.entries(native.ibkdGrads)) assertRel(gpu.ibkdGrads[k], g, `IBKD gradient ${k}`, scale);
  });

  test(`${SCENARIO_STEPS} AdamW steps (clipping included): losses, grad norms and weights match the tensorflow backend`, () => {
    assert.equal(gpu.steps.length, SCENARIO_STEPS);
    gpu.steps.forEach((s, i) => {
      assert.ok(Math.abs(s.loss - native.steps[i].loss) <= REL_TOL * native.steps[i].loss, `step ${i + 1} loss ${s.loss} vs ${native.steps[i].loss}`);
      assert.ok(Math.abs(s.gradNorm - native.steps[i].gradNorm) <= REL_TOL * native.steps[i].gradNorm, `step ${i + 1} grad norm ${s.gradNorm} vs ${native.steps[i].gradNorm}`);
    });
    assert.ok(native.steps[2].loss < native.steps[0].loss, 'the steps trained');
    for (const [k, w] of Object.entries(native.weights)) assertRel(gpu.weights[k], w, `weight ${k}`);
  });
});
