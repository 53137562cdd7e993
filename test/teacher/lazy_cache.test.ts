import { describe, mock, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { sentenceKey } from '../../src/data/sentence_key';
import { readEmbeddingTable } from '../../src/teacher/embedding_table';
import { KeyIndex, keyWords } from '../../src/util/key_index';
import { sidecarFile } from '../../src/teacher/part_index';
import { TeacherCache } from '../../src/teacher/teacher_cache';
import { tmpDir } from '../helpers/env';

const DIM = 8;

function rows(n: number, salt: string): { keys: string[]; emb: Float32Array } {
  const keys = Array.from({ length: n }, (_, i) => sentenceKey(`${salt} sentence ${i}`));
  const emb = new Float32Array(n * DIM).map((_, i) => Math.sin(i + salt.length));
  return { keys, emb };
}

describe('teacher cache: index on disk, rows read on demand', () => {
  test('KeyIndex finds every key, repoints a key added again, and misses absent ones', () => {
    const idx = new KeyIndex();
    const keys = Array.from({ length: 50_000 }, (_, i) => crypto.createHash('sha256').update(String(i)).digest('hex').slice(0, 32));
    const w = new Uint32Array(4);
    keys.forEach((k, i) => idx.setWords(keyWords(k, w), 0, i % 7, i * 10));
    idx.setWords(keyWords(keys[123], w), 0, 99, 5);
    assert.equal(idx.size, keys.length);
    keys.forEach((k, i) => {
      const e = idx.find(k);
      assert.ok(e >= 0, k);
      if (i !== 123) assert.equal(idx.offset(e), i * 10);
    });
    assert.equal(idx.part(idx.find(keys[123])), 99);
    assert.equal(idx.find('0'.repeat(32)), -1);
  });

  test('opening reads only the part indexes, not the parts; a row is read from its own part, bit for bit', (t) => {
    const root = tmpDir();
    const cache = TeacherCache.open(root, 'fp', DIM);
    const a = rows(300, 'a');
    const b = rows(200, 'b');
    cache.add(a.keys, a.emb, 'part-a.arrow');
    cache.add(b.keys, b.emb, 'part-b.arrow');
    assert.ok(fs.existsSync(sidecarFile(path.join(cache.dir, 'part-a.arrow'))), 'each part gets its index beside it');
    const opened: string[] = [];
    // The module object itself (what the cache's `fs.openSync` calls reach), not this file's import namespace.
    const nodeFs = require('fs') as typeof fs;
    const real = nodeFs.openSync;
    const spy = mock.method(nodeFs, 'openSync', (...args: Parameters<typeof fs.openSync>) => (opened.push(String(args[0])), real(...args)));
    t.after(() => spy.mock.restore());
    const again = TeacherCache.open(root, 'fp', DIM);
    assert.equal(again.size, 500);
    assert.deepEqual(opened.filter((f) => f.endsWith('.arrow')), [], 'no part opened to open the cache');
    const out = new Float32Array(DIM);
    assert.ok(again.read(b.keys[17], out));
    assert.deepEqual(opened.filter((f) => f.endsWith('.arrow')).map((f) => path.basename(f)), ['part-b.arrow'], 'one read opens one part');
    assert.deepEqual([...out], [...b.emb.subarray(17 * DIM, 18 * DIM)]);
    const many = new Float32Array(500 * DIM);
    assert.equal(again.readMany([...a.keys, ...b.keys], many), 0);
    assert.ok(Buffer.from(many.buffer).equals(Buffer.concat([Buffer.from(a.emb.buffer), Buffer.from(b.emb.buffer)])), 'every row equal to what was written');
    assert.equal(again.readMany([sentenceKey('absent')], new Float32Array(DIM)), 1);
  });

  test('a lost or stale index is rebuilt from the part; large adds are split into bounded parts', () => {
    const root = tmpDir();
    const cache = TeacherCache.open(root, 'fp', DIM);
    const a = rows(100, 'c');
    cache.add(a.keys, a.emb, 'part-c.arrow');
    const part = path.join(cache.dir, 'part-c.arrow');
    fs.rmSync(sidecarFile(part));
    const out = new Float32Array(DIM);
    const reopened = TeacherCache.open(root, 'fp', DIM);
    assert.ok(reopened.read(a.keys[99], out));
    assert.deepEqual([...out], [...a.emb.subarray(99 * DIM)]);
    assert.ok(fs.existsSync(sidecarFile(part)), 'rebuilt');
    const big = rows(70_000, 'd');
    cache.add(big.keys, big.emb, 'part-big.arrow');
    const parts = fs.readdirSync(cache.dir).filter((f) => f.startsWith('part-big') && f.endsWith('.arrow')).sort();
    assert.deepEqual(parts, ['part-big-0000.arrow', 'part-big-0001.arrow']);
    assert.deepEqual(parts.map((f) => readEmbeddingTable(path.join(cache.dir, f)).keys.length), [65536, 70_000 - 65536]);
    const all = TeacherCache.open(root, 'fp', DIM);
    assert.equal(all.size, 70_100);
    assert.ok(all.read(big.keys[69_999], out));
    assert.deepEqual([...out], [...big.emb.subarray(69_999 * DIM)]);
  });
});
