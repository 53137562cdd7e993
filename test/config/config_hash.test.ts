import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { configHash } from '../../src/config/config_hash';
import { parseConfig } from '../../src/config/parse_config';
import { ExperimentConfig } from '../../src/config/experiment_config';

function base(): Record<string, unknown> {
  return {
    name: 'run',
    teacher: { model: 'models/teacher' },
    student: { layers: 3 },
    losses: [{ name: 'ibkd', temperature: 0.05 }],
    data: { train: { path: 'train.tsv', kind: 'sentences' } },
    train: { lr: 1e-4, log_every: 10, eval_every: 0 },
    checkpoint: { every: 0, keep_last: 2 },
  };
}

/** The config with one dotted key set, e.g. "train.lr". */
function withKey(key: string, value: unknown): ExperimentConfig {
  const obj = base();
  const keys = key.split('.');
  let node = obj;
  for (const k of keys.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
  node[keys[keys.length - 1]] = value;
  return parseConfig(obj, 'c.yaml');
}

test('keys that only change logging, naming, checkpointing or the teacher cache keep the hash', () => {
  const h = configHash(parseConfig(base(), 'c.yaml'));
  const cosmetic: Array<[string, unknown]> = [
    ['name', 'renamed'], ['output_dir', '/elsewhere'], ['train.log_every', 1], ['train.eval_every', 500],
    ['checkpoint.every', 100], ['checkpoint.keep_last', 7], ['teacher.cache_dir', '/tmp/tc'], ['teacher.cache', false],
    ['teacher.batch_size', 8], ['tracking.experiment', 'other'], ['train.signal_checkpoint', false],
    ['teacher.runtime', 'onnx'],
  ];
  for (const [k, v] of cosmetic) assert.equal(configHash(withKey(k, v)), h, k);
});

test('keys that change the trajectory change the hash', () => {
  const h = configHash(parseConfig(base(), 'c.yaml'));
  const material: Array<[string, unknown]> = [
    ['train.lr', 5e-5], ['seed', 7], ['student.layers', [0, 2, 4]], ['train.batch_size', 16], ['train.max_steps', 10],
    ['teacher.model', 'models/other'], ['data.train.limit', 100], ['losses', [{ name: 'ibkd', temperature: 0.1 }]],
    ['losses', [{ name: 'ibkd', temperature: 0.05, weight: 2 }]],
    ['teacher.pooling', 'pooler'], ['student.model', 'models/bert-base'],
  ];
  for (const [k, v] of material) assert.notEqual(configHash(withKey(k, v)), h, `${k}=${JSON.stringify(v)}`);
});

test('writing a loss option\'s default explicitly keeps the hash (options are hashed defaulted)', () => {
  const h = configHash(parseConfig(base(), 'c.yaml'));
  assert.equal(configHash(withKey('losses', [{ name: 'ibkd', temperature: 0.05, lambda: 0.2, gamma: 'median', weight: 1 }])), h);
});

test('the hash does not depend on the order keys were written in', () => {
  const a = parseConfig(base(), 'c.yaml');
  const b = { ...a, train: Object.fromEntries(Object.entries(a.train).reverse()) as unknown as ExperimentConfig['train'] };
  assert.equal(configHash(b), configHash(a));
});

test('a key that does not change the trajectory leaves the hash of existing runs as it was (train.signal_checkpoint)', () => {
  // The hash of base() before train.signal_checkpoint existed: runs checkpointed then must still resume.
  assert.equal(configHash(parseConfig(base(), 'c.yaml')), '8c81e29b9657ed89');
  assert.equal(configHash(withKey('train.signal_checkpoint', true)), '8c81e29b9657ed89');
});

test('train.signal_checkpoint is a boolean, default true', () => {
  assert.equal(parseConfig(base(), 'c.yaml').train.signal_checkpoint, true);
  assert.equal(withKey('train.signal_checkpoint', false).train.signal_checkpoint, false);
  assert.throws(() => withKey('train.signal_checkpoint', 'yes'), /signal_checkpoint.*must be true or false, got "yes"/);
});
