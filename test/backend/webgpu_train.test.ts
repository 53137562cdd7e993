import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { BEST_INFO_FILE } from '../../src/distill/best_model';
import { readSafetensors } from '../../src/model/safetensors';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { maxAbsDiff } from '../helpers/compare';
import { cli, evals, finalWeights, killTrainWhen } from '../helpers/killed_run';
import { tinyRun, tinyRunVariant } from '../helpers/tiny_run';

// `distill train` end to end on the webgpu backend (Dawn on Mesa's software
// OpenGL adapter): evaluation, best model and checkpoints (each written
// after an async read, webgpu having no synchronous one in Node), a SIGKILL
// after the first checkpoint and `--resume` to the end, against the same run
// uninterrupted on tensorflow. Losses mse + ibkd's InfoNCE, whose projection
// head is a checkpointed loss head. float32 on both: differences are
// summation order only, measured <= 2.2e-6 relative. ibkd's HSIC term is
// left out here (lambda 0): its squared distances |a|^2 + |b|^2 - 2ab cancel,
// and under Adam even tensorflow and the cpu backend end such a run ~1.8e-5
// apart; it is checked per gradient in webgpu_parity.test.ts instead.
const REL_TOL = 1e-5; // per tensor: max |difference| / its largest magnitude
const SPEARMAN_TOL = 1e-5; // Spearman x100, absolute
const STEPS = 8;
const EVERY = 4;
const WEBGPU = { DISTILL_BACKEND: 'webgpu', DISTILL_WEBGPU_ADAPTER: 'software' };
const TENSORFLOW = { DISTILL_BACKEND: 'tensorflow' };

type Tensors = Map<string, { data: ArrayLike<number> }>;
const largest = (x: ArrayLike<number>) => Array.from(x).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * The largest relative difference of two safetensors maps with the same
 * names: per tensor, max |a - b| over `scale(name)`, by default that
 * tensor's largest magnitude in `b`.
 */
function worstRel(a: Tensors, b: Tensors, scale = (k: string) => largest(b.get(k)!.data)): { worst: number; name: string } {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let worst = { worst: 0, name: '' };
  for (const [k, t] of a) {
    const r = maxAbsDiff(t.data, b.get(k)!.data) / Math.max(scale(k), 1e-30);
    if (r > worst.worst) worst = { worst: r, name: k };
  }
  return worst;
}

/**
 * Optimizer slots relative to the largest slot of their kind (m. or v.):
 * some moments are zero in exact arithmetic (a key bias cancels in softmax)
 * and hold only rounding, as the gradients in webgpu_parity.test.ts.
 */
function slotScale(b: Tensors): (k: string) => number {
  const byKind = new Map<string, number>();
  for (const [k, t] of b) byKind.set(k.split('.')[0], Math.max(byKind.get(k.split('.')[0]) ?? 0, largest(t.data)));
  return (k) => byKind.get(k.split('.')[0])!;
}

const evalJson = (model: string, data: string, env: Record<string, string>) => {
  const p = cli(['eval', '--model', model, '--data', data, '--json'], env);
  assert.equal(p.status, 0, p.stderr);
  return { stderr: p.stderr, result: JSON.parse(p.stdout) as { backend: string; averageSpearman: number } };
};

describe('distill train --backend webgpu (software adapter): eval, best model, checkpoint, resume', () => {
  let base: ReturnType<typeof tinyRun>;
  let tfRun: string;
  let gpuRun: string;
  let resumeErr: string;

  before(async () => {
    await selectBackend('tensorflow');
    base = tinyRun({ steps: STEPS, every: EVERY, sentences: 64 });
    fs.writeFileSync(base.config, fs.readFileSync(base.config, 'utf8').replace('losses: [{name: mse}]', 'losses: [{name: mse}, {name: ibkd, lambda: 0}]'));
    const tf = tinyRunVariant(base, 'run-tf', { steps: STEPS, every: EVERY, ownCache: true });
    const gpu = tinyRunVariant(base, 'run-webgpu', { steps: STEPS, every: EVERY, ownCache: true });
    tfRun = tf.runDir;
    gpuRun = gpu.runDir;
    const t = cli(['train', '--config', tf.config], TENSORFLOW);
    assert.equal(t.status, 0, t.stderr);
    await killTrainWhen(gpu.config, path.join(gpuRun, 'checkpoints', `step-${String(EVERY).padStart(7, '0')}`), WEBGPU);
    assert.ok(!fs.existsSync(path.join(gpuRun, 'summary.json')), 'the webgpu run was killed before its end');
    const r = cli(['train', '--resume', gpuRun], WEBGPU);
    assert.equal(r.status, 0, r.stderr);
    resumeErr = r.stderr;
  });

  test('the resumed run ran on webgpu, from the checkpoint the killed one wrote', () => {
    assert.match(resumeErr, /^backend: webgpu .*\[software, Dawn OpenGL\]/m);
    assert.match(resumeErr, /resuming from .*step-0000004: step 4/);
    assert.doesNotMatch(resumeErr, /OffscreenCanvas|synchronously reading data from GPU/);
    const ck = JSON.parse(fs.readFileSync(path.join(gpuRun, 'checkpoints', 'step-0000008', 'training_state.json'), 'utf8'));
    assert.equal(ck.step, STEPS);
    assert.ok(readSafetensors(path.join(gpuRun, 'checkpoints', 'step-0000008', 'loss_heads.safetensors')).has('ibkd.head.weight'), 'the ibkd head is checkpointed');
  });

  test(`final weights, optimizer slots and loss heads equal the tensorflow run within ${REL_TOL} relative`, () => {
    const w = worstRel(finalWeights(gpuRun), finalWeights(tfRun));
    assert.ok(w.worst <= REL_TOL, `weight ${w.name}: ${w.worst.toExponential(2)}`);
    const file = (run: string, f: string) => readSafetensors(path.join(run, 'checkpoints', 'step-0000008', f));
    const h = worstRel(file(gpuRun, 'loss_heads.safetensors'), file(tfRun, 'loss_heads.safetensors'));
    assert.ok(h.worst <= REL_TOL, `loss head ${h.name}: ${h.worst.toExponential(2)}`);
    const slots = file(tfRun, 'optimizer.safetensors');
    const gpuSlots = file(gpuRun, 'optimizer.safetensors');
    // tfjs-node updates with TensorFlow's fused ResourceApplyAdam, webgpu with element-wise ops: the
    // slots agree to rounding. v holds g^2, so a relative gradient difference e shows as ~2e in v.
    assert.deepEqual([...new Set([...slots.keys()].map((k) => k.split('.')[0]))].sort(), ['m', 'v']);
    for (const kind of ['m', 'v']) {
      const only = (t: Tensors) => new Map([...t].filter(([k]) => k.split('.')[0] === kind));
      const o = worstRel(only(gpuSlots), only(slots), slotScale(slots));
      const tol = kind === 'v' ? 2 * REL_TOL : REL_TOL;
      assert.ok(only(slots).size > 0 && o.worst <= tol, `optimizer slot ${o.name}: ${o.worst.toExponential(2)} (tolerance ${tol})`);
    }
  });

  test(`the same eval history (Spearman within ${SPEARMAN_TOL}) and the same best model, which loads`, () => {
    const g = evals(gpuRun);
    const t = evals(tfRun);
    assert.deepEqual(g.map((e) => e.step), [0, 4, 8]);
    assert.deepEqual(g.map((e) => e.step), t.map((e) => e.step));
    g.forEach((e, i) => assert.ok(Math.abs(e.spearman - t[i].spearman) <= SPEARMAN_TOL, `step ${e.step}: ${e.spearman} vs ${t[i].spearman}`));
    const best = (run: string) => JSON.parse(fs.readFileSync(path.join(run, 'best', BEST_INFO_FILE), 'utf8'));
    assert.equal(best(gpuRun).step, best(tfRun).step);
    const model = loadSentenceModel(path.join(gpuRun, 'best'));
    disposeSentenceModel(model);
    const w = worstRel(readSafetensors(path.join(gpuRun, 'best', 'model.safetensors')), readSafetensors(path.join(tfRun, 'best', 'model.safetensors')));
    assert.ok(w.worst <= REL_TOL, `best weight ${w.name}: ${w.worst.toExponential(2)}`);
  });

  test('distill eval --backend webgpu on the best model equals tensorflow\'s eval and the run\'s own', () => {
    const dev = path.join(base.dir, 'dev.tsv');
    const g = evalJson(path.join(gpuRun, 'best'), dev, WEBGPU);
    const t = evalJson(path.join(gpuRun, 'best'), dev, TENSORFLOW);
    assert.equal(g.result.backend, 'webgpu');
    assert.equal(t.result.backend, 'tensorflow');
    assert.ok(Math.abs(g.result.averageSpearman - t.result.averageSpearman) <= SPEARMAN_TOL, `${g.result.averageSpearman} vs ${t.result.averageSpearman}`);
    const bestStep = JSON.parse(fs.readFileSync(path.join(gpuRun, 'best', BEST_INFO_FILE), 'utf8'));
    assert.ok(Math.abs(g.result.averageSpearman - bestStep.value) <= SPEARMAN_TOL, `eval ${g.result.averageSpearman} vs the run's ${bestStep.value}`);
  });

  test('distill encode and export (onnx, verified, int8) --backend webgpu of the best model equal tensorflow\'s', () => {
    const best = path.join(gpuRun, 'best');
    const input = path.join(base.dir, 'encode.txt');
    fs.writeFileSync(input, fs.readFileSync(path.join(base.dir, 'train.tsv'), 'utf8').split('\n').slice(1, 6).join('\n') + '\n');
    const encode = (env: Record<string, string>) => {
      const p = cli(['encode', '--model', best, '--input', input, '--json'], env);
      assert.equal(p.status, 0, p.stderr);
      return (JSON.parse(p.stdout).embeddings as number[][]).flat();
    };
    const e = encode(TENSORFLOW);
    const r = maxAbsDiff(encode(WEBGPU), e) / largest(e);
    assert.ok(r <= REL_TOL, `encode: ${r.toExponential(2)} relative`);
    const exported = (name: string, env: Record<string, string>) => {
      const out = path.join(base.dir, name);
      const p = cli(['export', '--model', best, '--out', out, '--format', 'onnx', '--verify', '--quantize', 'int8'], env);
      assert.equal(p.status, 0, p.stderr);
      return out;
    };
    const g = exported('export-webgpu', WEBGPU);
    const t = exported('export-tf', TENSORFLOW);
    // The graphs are built from weights read back from the GPU: bit for bit those tensorflow holds.
    for (const f of ['model.onnx', 'model_quantized.onnx']) assert.ok(fs.readFileSync(path.join(g, 'onnx', f)).equals(fs.readFileSync(path.join(t, 'onnx', f))), `onnx/${f} differs`);
  });
});
