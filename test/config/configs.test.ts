import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '../../src/config/parse_config';
import { chooseLayers } from '../../src/distill/layer_choice';
import { ROOT, tmpDir } from '../helpers/env';

test('every shipped config validates against the schema', () => {
  const dir = path.join(ROOT, 'configs');
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$|\.json$/.test(f));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const cfg = loadConfig(path.join(dir, f));
    assert.ok(cfg.losses.length >= 1, f);
  }
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
