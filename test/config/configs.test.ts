import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { buildLosses, createLossRegistry } from '../../src/losses/loss_registry';
import { mseLoss } from '../../src/losses/mse_loss';
import { DistillError } from '../../src/util/errors';
import { chooseLayers } from '../../src/distill/layer_choice';
import { ROOT, tmpDir } from '../helpers/env';

function shippedConfigs(): string[] {
  const dir = path.join(ROOT, 'configs');
  return fs.readdirSync(dir).filter((f) => /\.ya?ml$|\.json$/.test(f)).map((f) => path.join(dir, f));
}

test('every shipped config parses and its losses\' options validate against the registry', () => {
  const files = shippedConfigs();
  assert.ok(files.length >= 3);
  const registry = createLossRegistry();
  for (const f of files) {
    const cfg = loadConfig(f);
    assert.ok(cfg.losses.length >= 1, f);
    cfg.losses.forEach((l, i) => {
      assert.ok(registry.names().includes(l.name), `${f}: ${l.name}`);
      // Parsed options are the declared ones, defaulted: validating them again changes nothing.
      assert.deepEqual(registry.validate(l, `losses[${i}]`, f), l, f);
      for (const k of Object.keys(l.options)) assert.ok(k in registry.get(l.name, `losses[${i}]`).options, `${f}: losses[${i}].${k}`);
    });
    // The file as written (before defaults) is what a user edits: its loss keys must all be declared.
    const raw = YAML.parse(fs.readFileSync(f, 'utf8')) as { losses?: Array<Record<string, unknown>> };
    for (const l of raw.losses ?? []) {
      for (const k of Object.keys(l)) assert.ok(['name', 'weight'].includes(k) || k in registry.get(String(l.name), 'losses').options, `${f}: ${k}`);
    }
  }
});

test('a typo in a shipped config\'s loss option fails at parse time, naming the file and key path', () => {
  const shipped = path.join(ROOT, 'configs', 'minilm-6to3-tinybert.yaml');
  const text = fs.readFileSync(shipped, 'utf8');
  assert.match(text, /\n    mode: kl\n/, 'the tinybert config sets attention mode: kl as losses[2]');
  const copy = (edit: (t: string) => string) => {
    const f = path.join(tmpDir(), 'tinybert.yaml');
    fs.writeFileSync(f, edit(text));
    return f;
  };
  const typo = copy((t) => t.replace('\n    mode: kl\n', '\n    mode: klx\n'));
  assert.throws(() => loadConfig(typo), (e: Error) => e instanceof DistillError && e.message.startsWith(typo) && /key "losses\[2\]\.mode" must be one of kl, mse; got "klx"/.test(e.message));
  const unknown = copy((t) => t.replace('\n    mode: kl\n', '\n    mdoe: kl\n'));
  assert.throws(() => loadConfig(unknown), /key "losses\[2\]\.mdoe" is not an option of loss "attention"; valid: name, weight, mode, layer_map/);
  const badPairs = copy((t) => t.replace('\n    mode: kl\n', '\n    layer_map: [1, 2]\n'));
  assert.throws(() => loadConfig(badPairs), /key "losses\[2\]\.layer_map" must be a list of \[student, teacher\] hidden-state index pairs/);
  assert.throws(() => loadConfig(shipped, ['losses=[{name: hidden_mse, projection: maybe}]']), /key "losses\[0\]\.projection" must be true or false; got "maybe"/);
  assert.throws(() => loadConfig(shipped, ['losses=[{name: ibkd, temperature: hot}]']), /key "losses\[0\]\.temperature" must be a number; got "hot"/);
  assert.throws(() => loadConfig(shipped, ['losses=[{name: ibkd, hsic_layer: 1.5}]']), /key "losses\[0\]\.hsic_layer" must be an integer; got 1\.5/);
  assert.throws(() => loadConfig(shipped, ['losses=[{name: ibkd, lambda: -1}]']), /key "losses\[0\]\.lambda" must be >= 0; got -1/);
  assert.throws(() => loadConfig(shipped, ['losses=[{name: msee}]']), /key "losses\[0\]\.name" must be one of mse, cosine, ibkd, hidden_mse, attention, margin_mse; got "msee"/);
});

test('parsed loss options are typed and defaulted', () => {
  const cfg = loadConfig(path.join(ROOT, 'configs', 'minilm-6to3-tinybert.yaml'), ['losses=[{name: ibkd, temperature: "0.1"}, {name: attention}, {name: hidden_mse}]']);
  assert.deepEqual(cfg.losses.map((l) => l.options), [
    { temperature: 0.1, lambda: 0.2, gamma: 'median', hsic_layer: 0 },
    { mode: 'kl' },
    { projection: false },
  ]);
});

test('a loss registered by user code declares its own option, which is validated at parse time and reaches build typed', async () => {
  await selectBackend('tensorflow');
  const registry = createLossRegistry().register({
    name: 'scaled_mse',
    options: { scale: { type: 'number', default: 1, min: 0, exclusiveMin: true, description: 'multiplier' } },
    build: (o) => ({
      name: 'scaled_mse',
      params: new Map(),
      needs: {},
      compute: (s, t) => tf.tidy(() => s.embedding.sub(t.embedding).square().mean().mul(o.scale) as tf.Scalar),
    }),
  });
  const file = path.join(tmpDir(), 'custom.yaml');
  fs.writeFileSync(file, 'teacher: {model: m}\nstudent: {layers: 3}\ndata: {train: {path: x.tsv, kind: sentences}}\nlosses: [{name: scaled_mse, scale: 3}, {name: mse}]\n');
  const cfg = loadConfig(file, [], { losses: registry });
  assert.deepEqual(cfg.losses[0], { name: 'scaled_mse', weight: 1, options: { scale: 3 } });
  assert.throws(() => loadConfig(file, ['losses=[{name: scaled_mse, scale: 0}]'], { losses: registry }), /custom\.yaml: key "losses\[0\]\.scale" must be > 0; got 0/);
  assert.throws(() => loadConfig(file, ['losses=[{name: scaled_mse, scael: 2}]'], { losses: registry }), /valid: name, weight, scale/);
  // The caller owns its registry: a fresh one (the default) does not know the custom loss.
  assert.throws(() => loadConfig(file), /key "losses\[0\]\.name" must be one of mse, .*; got "scaled_mse"/);
  assert.throws(() => registry.register(mseLoss), /a loss named "mse" is already registered/);
  const [custom, mse] = buildLosses(cfg.losses, { studentDim: 2, teacherDim: 2, seed: 0 }, registry);
  const s = tf.tensor2d([[1, 2], [3, 4]]);
  const t = tf.tensor2d([[1, 0], [3, 3]]);
  const mask = tf.ones([2, 1]) as tf.Tensor2D;
  const a = custom.loss.compute({ embedding: s, pooled: s, mask, groupSize: 1 }, { embedding: t });
  const b = mse.loss.compute({ embedding: s, pooled: s, mask, groupSize: 1 }, { embedding: t });
  assert.equal(custom.loss.name, 'scaled_mse');
  assert.ok(Math.abs(a.dataSync()[0] - 3 * b.dataSync()[0]) < 1e-6, `${a.dataSync()[0]} vs 3 * ${b.dataSync()[0]}`);
  tf.dispose([s, t, mask, a, b]);
});

test('defaults, --set overrides, and errors that name the key and the allowed values', () => {
  const file = path.join(tmpDir(), 'c.yaml');
  fs.writeFileSync(file, 'teacher: {model: m}\nstudent: {layers: 3}\ndata: {train: {path: x.tsv, kind: sentences}}\n');
  const c = loadConfig(file, ['train.lr=5e-5', 'train.bucketed=false', 'student.layers=[0, 2]']);
  assert.equal(c.train.lr, 5e-5);
  assert.equal(c.train.bucketed, false);
  assert.deepEqual(c.student.layers, [0, 2]);
  assert.equal(c.train.batch_size, 32);
  assert.equal(c.losses[0].name, 'mse');
  assert.equal(c.output_dir, path.join('checkpoints', 'c'));
  assert.throws(() => loadConfig(file, ['train.lr=-1']), /c\.yaml: key "train\.lr" must be > 0, got -1/);
  assert.throws(() => loadConfig(file, ['data.train.kind=words']), /key "data\.train\.kind" must be one of sentences, pairs, triplets; got "words"/);
  assert.throws(() => loadConfig(file, ['data.train.columns.txt=0']), /key "data\.train\.columns\.txt" is not a field of kind "sentences"; fields: text/);
  assert.throws(() => loadConfig(file, ['student.layers=two']), /key "student\.layers" must be a layer count/);
  assert.throws(() => loadConfig(file, ['bogus=1']), /key "bogus" is not a known key; valid here: /);
  assert.throws(() => loadConfig(file, ['lr']), /--set "lr": expected key=value/);
});

test('uniform layer choice: 12->4 [1,4,7,10], 6->3 [1,3,5], 12->3 [2,6,10]; bad lists are refused', () => {
  assert.deepEqual(chooseLayers(4, 12), [1, 4, 7, 10]);
  assert.deepEqual(chooseLayers(3, 6), [1, 3, 5]);
  assert.deepEqual(chooseLayers(3, 12), [2, 6, 10]);
  assert.deepEqual(chooseLayers(6, 6), [0, 1, 2, 3, 4, 5]);
  assert.throws(() => chooseLayers([3, 1], 6), /increasing order/);
  assert.throws(() => chooseLayers([1, 1], 6), /repeat a layer/);
  assert.throws(() => chooseLayers([0, 6], 6), /layer 6 does not exist: the teacher has layers 0\.\.5/);
});
