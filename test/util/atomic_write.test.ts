import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic, writeDirAtomicAsync, writeFileAtomic, writeJsonAtomic } from '../../src/util/atomic_write';
import { tmpDir } from '../helpers/env';
import { underFileSizeLimit } from '../helpers/file_size_limit';

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.old-'));
}

describe('writeFileAtomic', () => {
  test('creates and replaces a file, leaving no temporary behind', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.json');
    writeJsonAtomic(file, { v: 1 });
    writeFileAtomic(file, 'second');
    assert.equal(fs.readFileSync(file, 'utf8'), 'second');
    writeFileAtomic(file, (function* () { yield 'x'; yield Buffer.from('y'); })());
    assert.equal(fs.readFileSync(file, 'utf8'), 'xy');
    assert.deepEqual(leftovers(dir), []);
  });

  test('a write cut off by the file-size limit (EFBIG) keeps the old file and removes the temporary', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'big.bin');
    fs.writeFileSync(file, 'old content');
    const r = underFileSizeLimit(`req('util/atomic_write').writeFileAtomic(${JSON.stringify(file)}, Buffer.alloc(100000, 7))`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.error?.code, r.error?.path], ['EFBIG', file], 'the error names the target, not the temporary');
    assert.equal(fs.readFileSync(file, 'utf8'), 'old content');
    assert.deepEqual(leftovers(dir), []);
  });

  test('a producer failing after some chunks were written keeps the old file and removes the temporary', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'rows.jsonl');
    fs.writeFileSync(file, 'old\n');
    function* rows() {
      yield 'row 1\n'.repeat(10000);
      throw new TypeError('producer broke');
    }
    assert.throws(() => writeFileAtomic(file, rows()), (e: Error) => e instanceof TypeError && e.message === 'producer broke');
    assert.equal(fs.readFileSync(file, 'utf8'), 'old\n');
    assert.deepEqual(leftovers(dir), []);
  });

  test('a missing folder fails with ENOENT naming the target', () => {
    const file = path.join(tmpDir(), 'no', 'such', 'f.txt');
    assert.throws(() => writeFileAtomic(file, 'x'), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.path === file);
  });
});

describe('writeDirAtomic', () => {
  const build = (tmp: string, tag: string) => {
    fs.writeFileSync(path.join(tmp, 'a.txt'), tag);
    fs.mkdirSync(path.join(tmp, 'sub'));
    fs.writeFileSync(path.join(tmp, 'sub', 'b.txt'), tag);
  };

  test('swaps a complete folder into place and removes the old one', () => {
    const root = tmpDir();
    const dir = path.join(root, 'model');
    writeDirAtomic(dir, (t) => build(t, 'one'));
    fs.writeFileSync(path.join(dir, 'stale.txt'), 'from the old folder');
    writeDirAtomic(dir, (t) => build(t, 'two'));
    assert.equal(fs.readFileSync(path.join(dir, 'sub', 'b.txt'), 'utf8'), 'two');
    assert.ok(!fs.existsSync(path.join(dir, 'stale.txt')), 'the old folder is replaced, not merged');
    assert.deepEqual(leftovers(root), []);
  });

  test('a builder failing part-way leaves the old folder untouched and no temporary', () => {
    const root = tmpDir();
    const dir = path.join(root, 'model');
    writeDirAtomic(dir, (t) => build(t, 'one'));
    assert.throws(() => writeDirAtomic(dir, (t) => {
      build(t, 'two');
      throw new Error('half-way');
    }), /half-way/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'one');
    assert.deepEqual(leftovers(root), []);
  });

  test('the async form commits only after the builder resolves, and cleans up after a rejection', async () => {
    const root = tmpDir();
    const dir = path.join(root, 'export');
    assert.equal(await writeDirAtomicAsync(dir, async (t) => (build(t, 'one'), 42)), 42);
    await assert.rejects(writeDirAtomicAsync(dir, async (t) => {
      build(t, 'two');
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('verification failed');
    }), /verification failed/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'one');
    assert.deepEqual(leftovers(root), []);
  });

  test('EFBIG inside the folder keeps the old folder; the error names the file under the target, not the temporary', () => {
    const root = tmpDir();
    const dir = path.join(root, 'ckpt');
    writeDirAtomic(dir, (t) => build(t, 'one'));
    const r = underFileSizeLimit(`const a = req('util/atomic_write'); a.writeDirAtomic(${JSON.stringify(dir)}, (t) => { fs.writeFileSync(path.join(t, 'small.txt'), 'x'); a.writeFileChecked(path.join(t, 'w.bin'), Buffer.alloc(100000)); })`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.error?.code, r.error?.path], ['EFBIG', path.join(dir, 'w.bin')]);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'one');
    assert.ok(!fs.existsSync(path.join(dir, 'small.txt')));
    assert.deepEqual(leftovers(root), []);
  });
});
