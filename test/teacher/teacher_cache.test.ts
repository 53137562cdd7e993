import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { RecordBatch, Schema, Table, tableFromIPC, tableToIPC } from 'apache-arrow';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { encodeSentences, embeddingDim } from '../../src/model/sentence_encoder';
import { TeacherCache } from '../../src/teacher/teacher_cache';
import { teacherFingerprint } from '../../src/teacher/teacher_fingerprint';
import { teacherEmbeddings } from '../../src/teacher/teacher_embeddings';
import { cacheTeacher } from '../../src/pipelines/cache_teacher';
import { normalizeSentence, sentenceKey } from '../../src/data/sentence_key';
import { loadConfig } from '../../src/config/parse_config';
import { CLI, DATA, ROOT, TEACHER_DIR, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';

function open(model: SentenceModel, root: string): TeacherCache {
  return TeacherCache.open(root, teacherFingerprint(model).fingerprint, embeddingDim(model));
}

describe('teacher cache', () => {
  let model: SentenceModel;
  let sentences: string[];
  before(async () => {
    await selectBackend('tensorflow');
    model = loadSentenceModel(TEACHER_DIR);
    sentences = stsbDevSentences().slice(0, 300);
  });

  test('second epoch and second run do zero teacher passes; cached rows equal fresh ones bit for bit', async () => {
    const root = tmpDir();
    const first = await teacherEmbeddings(model, open(model, root), sentences, { batchSize: 32 });
    assert.equal(first.computed, 300);
    const count = model.stats.sentencesEncoded;
    const cache = open(model, root);
    assert.equal(cache.size, 300);
    const epoch2 = await teacherEmbeddings(model, cache, sentences);
    const run2 = await teacherEmbeddings(model, open(model, root), [...sentences].reverse());
    assert.equal(model.stats.sentencesEncoded, count, 'no teacher forward pass after the first');
    assert.equal(epoch2.computed + run2.computed, 0);
    assert.deepEqual(Buffer.from(epoch2.embeddings.buffer), Buffer.from(first.embeddings.buffer));
    // Same sentences, same batching: storage must be lossless (float32 in, float32 out).
    const fresh = await encodeSentences(model, sentences.map(normalizeSentence), { batchSize: 32 });
    assert.ok(Buffer.from(fresh.embeddings.buffer).equals(Buffer.from(epoch2.embeddings.buffer)), 'cached == fresh, bit for bit');
  });

  test('the fingerprint is stable across loads of the same model, and hashing ~90 MB of weights is fast', (t) => {
    const again = loadSentenceModel(TEACHER_DIR);
    try {
      const t0 = performance.now();
      const fp = teacherFingerprint(again).fingerprint;
      const ms = performance.now() - t0;
      t.diagnostic(`fingerprint of ${TEACHER_DIR}: ${ms.toFixed(0)} ms`);
      assert.equal(fp, teacherFingerprint(model).fingerprint);
      assert.equal(teacherFingerprint(again).fingerprint, fp);
      // The brief is < 1 s; the bound leaves room for a loaded shared machine.
      assert.ok(ms < 3000, `${ms} ms`);
    } finally {
      disposeSentenceModel(again);
    }
  });

  test('a changed max length or changed weights never reuses stale rows', async () => {
    const root = tmpDir();
    await teacherEmbeddings(model, open(model, root), sentences.slice(0, 20));
    const fp = teacherFingerprint(model).fingerprint;
    const shorter = { ...model, maxSeqLength: 16 };
    assert.notEqual(teacherFingerprint(shorter).fingerprint, fp);
    const r = await teacherEmbeddings(shorter, open(shorter, root), sentences.slice(0, 20));
    assert.equal(r.computed, 20);
    const dir = path.join(tmpDir(), 'teacher2');
    fs.cpSync(fs.realpathSync(TEACHER_DIR), dir, { recursive: true });
    const w = fs.readFileSync(path.join(dir, 'model.safetensors'));
    w[w.length - 3] ^= 0x01;
    fs.writeFileSync(path.join(dir, 'model.safetensors'), w);
    const other = loadSentenceModel(dir);
    assert.notEqual(teacherFingerprint(other).fingerprint, fp);
    assert.equal(open(other, root).size, 0);
  });

  test('half-written parts are never trusted: a cut part is named and moved aside (its rows then count as missing), a temp leftover is ignored', async () => {
    const root = tmpDir();
    const cache = open(model, root);
    await teacherEmbeddings(model, cache, sentences.slice(0, 10));
    const part = fs.readdirSync(cache.dir).find((f) => f.startsWith('part-'))!;
    const bytes = fs.readFileSync(path.join(cache.dir, part));
    fs.writeFileSync(path.join(cache.dir, 'part-zzz.arrow.tmp-1-1'), bytes.subarray(0, 100));
    assert.equal(open(model, root).size, 10);
    fs.renameSync(path.join(cache.dir, part), path.join(cache.dir, 'part-zzz.arrow'));
    fs.truncateSync(path.join(cache.dir, 'part-zzz.arrow'), bytes.length - 50);
    const warnings: string[] = [];
    const reopened = TeacherCache.open(root, cache.fingerprint, cache.dim, {}, (m) => warnings.push(m));
    assert.equal(reopened.size, 0);
    assert.match(warnings.join('\n'), /part-zzz\.arrow: not a complete Arrow IPC file .*moved it aside to part-zzz\.arrow\.bad-/);
  });

  test('a flipped bit in a cache part is caught by its checksum: named, moved aside, recomputed, never used', async () => {
    const root = tmpDir();
    const some = sentences.slice(0, 12);
    const first = await teacherEmbeddings(model, open(model, root), some);
    const dir = open(model, root).dir;
    const part = path.join(dir, fs.readdirSync(dir).find((f) => f.startsWith('part-'))!);
    const bytes = fs.readFileSync(part);
    // Flip one bit inside the stored floats (a row's bytes, found in the file), not in the Arrow framing.
    const row = Buffer.from(first.embeddings.buffer, first.embeddings.byteOffset + 5 * 4 * 384, 4 * 384);
    const at = bytes.indexOf(row);
    assert.ok(at > 0, 'row bytes found in the part');
    bytes[at + 2 * 4 + 1] ^= 0x01;
    fs.writeFileSync(part, bytes);
    const warnings: string[] = [];
    const cache = TeacherCache.open(root, teacherFingerprint(model).fingerprint, embeddingDim(model), {}, (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.ok(warnings[0].startsWith(`${part}: checksum mismatch`), warnings[0]);
    assert.ok(!fs.existsSync(part));
    assert.equal(fs.readdirSync(dir).filter((f) => f.startsWith(path.basename(part) + '.bad-')).length, 1);
    const used = await teacherEmbeddings(model, cache, some);
    assert.equal(used.computed, 12);
    const fresh = await encodeSentences(model, some.map(normalizeSentence));
    assert.ok(Buffer.from(used.embeddings.buffer).equals(Buffer.from(fresh.embeddings.buffer)), "the embeddings used are the teacher's");
    // A part written before checksums existed (no sha256 in its metadata) still loads, unverified.
    const old = path.join(dir, 'part-old.arrow');
    cache.add([sentenceKey('an old part')], fresh.embeddings.subarray(0, 384), 'part-old.arrow');
    const t = tableFromIPC(fs.readFileSync(old));
    const meta = new Map(t.schema.metadata);
    meta.delete('sha256');
    const schema = new Schema(t.schema.fields, meta);
    fs.writeFileSync(old, tableToIPC(new Table(schema, t.batches.map((b) => new RecordBatch(schema, b.data))), 'file'));
    const again = TeacherCache.open(root, cache.fingerprint, cache.dim, {}, (m) => warnings.push(m));
    assert.equal(warnings.length, 1, 'no warning for the old part');
    assert.ok(again.has(sentenceKey('an old part')));
  });

  test('cache-teacher shards: a SIGKILLed shard leaves nothing trusted; merge checks every shard', async () => {
    const root = tmpDir();
    const cfgFile = path.join(root, 'cfg.yaml');
    fs.writeFileSync(cfgFile, [
      'teacher: {model: ' + TEACHER_DIR + ', cache_dir: ' + path.join(root, 'cache') + '}',
      'student: {layers: 2}',
      'data: {train: {path: ' + path.join(DATA, 'en', 'train-sentences.tsv') + ', kind: sentences, columns: {text: sentence}, limit: 3000}}',
    ].join('\n'));
    // Kill shard 0 while it is encoding: no shard file may appear.
    const child = spawn('node', [CLI, 'cache-teacher', '--config', cfgFile, '--shard', '0/2'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => /teacher \[/.test(d.toString()) && resolve()));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const cfg = loadConfig(cfgFile);
    const dir = fs.readdirSync(path.join(root, 'cache')).map((f) => path.join(root, 'cache', f))[0];
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('shard-') && f.endsWith('.arrow')), []);
    await assert.rejects(cacheTeacher(cfg, { merge: 2, quiet: true }), /shard\(s\) 0, 1 of 2 are missing/);
    const s1 = await cacheTeacher(cfg, { shard: { index: 1, count: 2 }, quiet: true });
    await assert.rejects(cacheTeacher(cfg, { merge: 2, quiet: true }), /shard\(s\) 0 of 2 are missing/);
    const s0 = await cacheTeacher(cfg, { shard: { index: 0, count: 2 }, quiet: true });
    assert.equal(s0.sentences + s1.sentences, 3000);
    const m = await cacheTeacher(cfg, { merge: 2, quiet: true });
    assert.equal(m.cached, 3000);
    const again = await cacheTeacher(cfg, { quiet: true });
    // computed is read from the encoder's own counter of the model cacheTeacher loaded.
    assert.equal(again.computed, 0);
  });
});
