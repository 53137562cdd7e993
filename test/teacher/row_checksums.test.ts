import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { sentenceKey } from '../../src/data/sentence_key';
import { SentenceModel } from '../../src/model/sentence_model';
import { readEmbeddingTable } from '../../src/teacher/embedding_table';
import { TeacherCache } from '../../src/teacher/teacher_cache';
import { TeacherEncode, teacherEmbeddings } from '../../src/teacher/teacher_embeddings';
import { tmpDir } from '../helpers/env';

const DIM = 8;

/** A stand-in teacher: ids one per word (the plan only needs token counts), rows a function of the text. */
const model = { tokenizer: { padId: 0, encode: (t: string) => ({ ids: t.split(' ').map(() => 1), typeIds: t.split(' ').map(() => 0) }) }, maxSeqLength: 64 } as unknown as SentenceModel;
const row = (t: string) => Array.from({ length: DIM }, (_, d) => Math.sin(t.length * 7 + d + t.charCodeAt(t.length - 1)));
const encode: TeacherEncode = async (sentences) => ({ embeddings: Float32Array.from(sentences.flatMap(row)) });

test('a bit flipped inside a cache part (size and mtime kept) is refused on read, naming the file and row; its rows are recomputed', async () => {
  const root = tmpDir();
  const sentences = Array.from({ length: 200 }, (_, i) => `sentence ${i}${' w'.repeat(i % 9)}`);
  const warnings: string[] = [];
  const first = await teacherEmbeddings(model, TeacherCache.open(root, 'fp', DIM, {}, (m) => warnings.push(m)), sentences, { encode, batchSize: 16 });
  assert.equal(first.computed, 200);
  const expected = Float32Array.from(sentences.flatMap(row));
  assert.deepEqual([...first.embeddings], [...expected]);

  const dir = TeacherCache.folder(root, 'fp');
  const [part] = fs.readdirSync(dir).filter((f) => f.startsWith('part-') && f.endsWith('.arrow')).map((f) => path.join(dir, f));
  // A whole-second mtime, which utimes sets back exactly (sub-microsecond digits it would round); the index is rebuilt with it.
  fs.utimesSync(part, 1.7e9, 1.7e9);
  assert.equal(TeacherCache.open(root, 'fp', DIM).size, 200);
  const t = readEmbeddingTable(part);
  const victim = t.keys.indexOf(sentenceKey(sentences[37]));
  const stat = fs.statSync(part);
  const fd = fs.openSync(part, 'r+');
  const byte = Buffer.alloc(1);
  fs.readSync(fd, byte, 0, 1, t.rowOffsets![victim] + 5);
  byte[0] ^= 0x10;
  fs.writeSync(fd, byte, 0, 1, t.rowOffsets![victim] + 5);
  fs.closeSync(fd);
  fs.utimesSync(part, 1.7e9, 1.7e9);
  assert.equal(fs.statSync(part).mtimeMs, stat.mtimeMs, 'mtime kept: the part index still looks current');

  // Opening trusts the index (nothing read but it); the row read is checked against its crc32.
  const cache = TeacherCache.open(root, 'fp', DIM, {}, (m) => warnings.push(m));
  assert.equal(cache.size, 200);
  assert.equal(warnings.length, 0);
  const other = t.keys.indexOf(sentenceKey(sentences[38]));
  assert.equal(cache.readMany([sentenceKey(sentences[38])], new Float32Array(DIM)), 0, 'an intact row of the part reads fine');
  assert.equal(cache.readMany([sentenceKey(sentences[37])], new Float32Array(DIM)), 1, 'the corrupt row is refused');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`^${part}: row ${victim} fails its crc32 .*moved it aside to ${path.basename(part)}\\.bad-.*, its sentences will be recomputed$`));
  assert.ok(!fs.existsSync(part) && other >= 0);
  assert.equal(cache.size, 0, 'the part is out of the index');

  const again = await teacherEmbeddings(model, cache, sentences, { encode, batchSize: 16 });
  assert.equal(again.computed, 200);
  assert.deepEqual([...again.embeddings], [...expected]);

  // A reader that had the part's rows looked up when it went bad recomputes them in the same call.
  const [part2] = fs.readdirSync(dir).filter((f) => f.startsWith('part-') && f.endsWith('.arrow')).map((f) => path.join(dir, f));
  fs.utimesSync(part2, 1.7e9, 1.7e9);
  const lookups = TeacherCache.open(root, 'fp', DIM, {}, (m) => warnings.push(m));
  const t2 = readEmbeddingTable(part2);
  const buf = fs.readFileSync(part2);
  buf[t2.rowOffsets![3] + 1] ^= 0x01;
  fs.writeFileSync(part2, buf);
  fs.utimesSync(part2, 1.7e9, 1.7e9);
  const healed = await teacherEmbeddings(model, lookups, sentences, { encode, batchSize: 16 });
  assert.equal(healed.computed, 200);
  assert.deepEqual([...healed.embeddings], [...expected]);
  assert.match(warnings[1], /row 3 fails its crc32/);
});
