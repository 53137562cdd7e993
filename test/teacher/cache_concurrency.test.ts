import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

interface CacheRun {
  status: number | null;
  stderr: string;
  summary: { sentences: number; computed: number; cached: number; byOthers?: number };
}

function cacheTeacher(config: string, extra: string[] = []): Promise<CacheRun> {
  const child = spawn('node', [CLI, 'cache-teacher', '--config', config, '--json', ...extra], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr, summary: stdout.trim() ? JSON.parse(stdout.trim().split('\n').pop()!) : {} })));
}

describe('teacher cache: concurrent writers', () => {
  test('two concurrent cache-teacher runs encode each distinct sentence once between them', async () => {
    const r = tinyRun({ steps: 1, sentences: 1500 });
    const [a, b] = await Promise.all([cacheTeacher(r.config), cacheTeacher(r.config)]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const distinct = a.summary.sentences;
    assert.equal(b.summary.sentences, distinct);
    assert.ok(distinct > 1400, `${distinct} distinct sentences`);
    assert.equal(a.summary.computed + b.summary.computed, distinct,
      `computed ${a.summary.computed} + ${b.summary.computed}, expected ${distinct} in all (each sentence once)`);
    // What one did not compute itself it reports as cached before it started or computed meanwhile by the other.
    for (const s of [a.summary, b.summary]) assert.equal(s.cached + s.computed + (s.byOthers ?? 0), distinct);
    // A third run finds everything cached.
    const c = await cacheTeacher(r.config);
    assert.equal(c.summary.computed, 0);
    assert.equal(c.summary.cached, distinct);
    const left = fs.readdirSync(path.join(r.dir, 'cache', fs.readdirSync(path.join(r.dir, 'cache'))[0])).filter((f) => f.endsWith('.lock'));
    assert.deepEqual(left, [], 'no lock file is left behind');
  });

  test('two concurrent runs of the same --shard i/N: the second waits and reuses the first one\'s shard', async () => {
    const r = tinyRun({ steps: 1, sentences: 1500 });
    const [a, b] = await Promise.all([cacheTeacher(r.config, ['--shard', '0/2']), cacheTeacher(r.config, ['--shard', '0/2'])]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    assert.equal(a.summary.computed + b.summary.computed, a.summary.sentences, `computed ${a.summary.computed} + ${b.summary.computed}`);
  });
});
