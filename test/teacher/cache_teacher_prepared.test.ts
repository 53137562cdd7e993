import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { readManifest } from '../../src/data/prepared_manifest';
import { cacheRows, differingKeys } from '../helpers/cache_rows';
import { cli, evals, finalWeights } from '../helpers/killed_run';
import { tinyRun, tinyRunVariant } from '../helpers/tiny_run';

function preparedDir(stderr: string, how: 'reused' | 'written'): string {
  const m = new RegExp(`prepared dataset: (\\S+) \\(${how};`).exec(stderr);
  assert.ok(m, `the run says its prepared dataset was ${how}: ${stderr.slice(0, 3000)}`);
  return m[1];
}

test('train after cache-teacher reads the prepared dataset cache-teacher wrote and ends as a train that prepared and computed the teacher itself, bit for bit', () => {
  const base = tinyRun({ steps: 10, every: 10, sentences: 300 });
  const pre = tinyRunVariant(base, 'pre', { steps: 10, ownCache: true });
  const self = tinyRunVariant(base, 'self', { steps: 10, ownCache: true });

  const c = cli(['cache-teacher', '--config', pre.config, '--json']);
  assert.equal(c.status, 0, c.stderr);
  const s = JSON.parse(c.stdout);
  assert.equal(s.prepared.reused, false);
  assert.equal(s.prepared.rows, s.sentences);
  const chunks = readManifest(s.prepared.dir, path.basename(s.prepared.dir))!.chunks;

  const a = cli(['train', '--config', pre.config]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(preparedDir(a.stderr, 'reused'), s.prepared.dir, 'train reads what cache-teacher prepared');
  const sa = JSON.parse(fs.readFileSync(path.join(pre.runDir, 'summary.json'), 'utf8'));
  assert.equal(sa.teacherComputed, 0, 'no teacher row computed by train');

  const b = cli(['train', '--config', self.config]);
  assert.equal(b.status, 0, b.stderr);
  const dirB = preparedDir(b.stderr, 'written');
  assert.equal(path.basename(dirB), path.basename(s.prepared.dir), 'the same prepared key');
  assert.deepEqual(readManifest(dirB, path.basename(dirB))!.chunks, chunks, 'the same chunk files (sha256 each)');

  // The run's own teacher pass and cache-teacher plan the same batches: the caches hold the same bits.
  const ra = cacheRows(path.join(base.dir, 'cache-pre')).rows;
  const rb = cacheRows(path.join(base.dir, 'cache-self')).rows;
  assert.equal(rb.size, ra.size);
  assert.deepEqual(differingKeys(rb, ra), []);

  const [wa, wb] = [finalWeights(pre.runDir), finalWeights(self.runDir)];
  const bytes = (d: Float32Array | Int32Array) => Buffer.from(d.buffer, d.byteOffset, d.byteLength);
  for (const [k, t] of wa) assert.ok(bytes(t.data).equals(bytes(wb.get(k)!.data)), `weight ${k} differs`);
  assert.deepEqual(evals(self.runDir), evals(pre.runDir));
});
