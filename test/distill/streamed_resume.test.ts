import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { readManifest } from '../../src/data/prepared_manifest';
import { loadDataset, recordTexts } from '../../src/data/read_dataset';
import { normalizeSentence } from '../../src/data/sentence_key';
import { splitByRatio } from '../../src/data/split_dataset';
import { embeddingDim } from '../../src/model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { prepareData } from '../../src/pipelines/prepare_data';
import { TeacherCache } from '../../src/teacher/teacher_cache';
import { teacherEmbeddings } from '../../src/teacher/teacher_embeddings';
import { teacherFingerprint } from '../../src/teacher/teacher_fingerprint';
import { EpochBatches } from '../../src/distill/epoch_batches';
import { PreparedSource } from '../../src/distill/prepared_source';
import { assertSameEnd, cli, killTrainWhen } from '../helpers/killed_run';
import { tinyRun } from '../helpers/tiny_run';
import { Rng } from '../../src/util/rng';

/** A tiny run whose 400 sentences are prepared as 25 chunks of 16 rows, read in windows of 2 chunks (4 batches of 8). */
function streamedRun(steps: number) {
  const r = tinyRun({ steps, every: 10 });
  fs.writeFileSync(r.config, fs.readFileSync(r.config, 'utf8').replace(/^data:\n/m, 'data:\n  chunk_rows: 16\n  window_chunks: 2\n'));
  return r;
}

/** The prepared dataset a run wrote (under its teacher cache). */
function preparedDir(stderr: string): string {
  const m = /prepared dataset: (\S+) \((?:reused|written)/.exec(stderr);
  assert.ok(m, `the run names its prepared dataset: ${stderr.slice(0, 2000)}`);
  return m[1];
}

describe('streamed training data: chunks and windows on disk', () => {
  test('a run over many chunks and windows, SIGKILLed across epochs and resumed, ends with the same weights and metrics; the resume reads only the manifest', async () => {
    // 50 batches an epoch: 130 steps run 2.6 epochs, the kill lands in the first or second.
    const steps = 130;
    const a = streamedRun(steps);
    const b = streamedRun(steps);
    const ra = cli(['train', '--config', a.config]);
    assert.equal(ra.status, 0, ra.stderr);
    assert.match(ra.stderr, /prepared dataset: .* \(written; 25 chunks, windows of 2\)/);
    const runB = path.join(b.dir, 'run');
    await killTrainWhen(b.config, path.join(runB, 'checkpoints', 'step-0000060'));
    assert.ok(!fs.existsSync(path.join(runB, 'summary.json')), 'the killed run did not finish');
    const rb = cli(['train', '--resume', runB]);
    assert.equal(rb.status, 0, rb.stderr);
    assert.match(rb.stderr, /resuming from .*step-00000[6-9]0/);
    assert.match(rb.stderr, /prepared dataset: .* \(reused; 25 chunks, windows of 2\)/, 'the resume reuses the prepared chunks');
    assert.match(rb.stderr, /teacher embeddings: 400 from cache, 0 computed/);
    assertSameEnd(path.join(a.dir, 'run'), runB, steps / 10 + 1);

    // Structurally bounded: an epoch read through the loader holds at most window_chunks chunks and reads each chunk once.
    const dir = preparedDir(ra.stderr);
    const key = path.basename(dir);
    const manifest = readManifest(dir, key)!;
    assert.equal(manifest.rows, 400);
    assert.equal(manifest.chunks.length, 25);
    const source = new PreparedSource(dir, manifest, 2);
    const epoch = new EpochBatches(source, 8, 1234, true);
    let sentences = 0;
    for (let i = 0; i < epoch.count; i++) sentences += epoch.batch(i).tokens.batch;
    assert.equal(sentences, 400);
    assert.equal(source.peakResidentChunks, 2, 'never more than one window (2 chunks) in memory');
    assert.equal(source.chunksRead, 25, 'each chunk read once per epoch');
  });

  test('a corrupt chunk is refused naming its file; a changed data file gets a new prepared dataset', () => {
    const r = streamedRun(5);
    const first = cli(['train', '--config', r.config]);
    assert.equal(first.status, 0, first.stderr);
    const dir = preparedDir(first.stderr);
    const chunk = path.join(dir, 'chunk-000003.bin');
    const bytes = fs.readFileSync(chunk);
    bytes[bytes.length - 3] ^= 0x10;
    fs.writeFileSync(chunk, bytes);
    // Chunk 3 lies in the first window of some epoch plan or another; reading an epoch reaches it.
    const source = new PreparedSource(dir, readManifest(dir, path.basename(dir))!, 2);
    const epoch = new EpochBatches(source, 8, 1, true);
    assert.throws(() => {
      for (let i = 0; i < epoch.count; i++) epoch.batch(i);
    }, (e: Error) => e.message.includes(`${chunk}: checksum mismatch`));
    // Another data file (one more sentence): another key, another folder; the old one is left as it is.
    const train = fs.readFileSync(path.join(r.dir, 'train.tsv'), 'utf8');
    fs.writeFileSync(path.join(r.dir, 'train.tsv'), train + 'w1 w2 w3 w4\n');
    const second = cli(['train', '--config', r.config, '--force-new']);
    assert.equal(second.status, 0, second.stderr);
    assert.notEqual(preparedDir(second.stderr), dir);
    assert.match(second.stderr, /data: 401 training rows/);
  });

  test('prepared rows are the rows the in-memory path made: sentences with dev_ratio, triplets with repeats', async () => {
    await selectBackend('tensorflow');
    const r = tinyRun({ steps: 5 });
    const rng = new Rng(3);
    const lines = fs.readFileSync(path.join(r.dir, 'train.tsv'), 'utf8').trim().split('\n').slice(1);
    const pick = () => lines[Math.floor(rng.next() * 60)];
    fs.writeFileSync(path.join(r.dir, 'trip.tsv'), 'query\tpositive\tnegative\n' + Array.from({ length: 90 }, () => `${pick()}\t${pick()}\t${pick()}`).join('\n') + '\n');
    const model = loadSentenceModel(r.teacher);
    try {
      for (const [train, kind, devRatio] of [['train.tsv', 'sentences', 0.1], ['trip.tsv', 'triplets', 0]] as const) {
        const cfg = loadConfig(r.config, [`data={train: {path: ${path.join(r.dir, train)}, kind: ${kind}}, chunk_rows: 16${devRatio ? `, dev_ratio: ${devRatio}` : ''}}`]);
        const fp = teacherFingerprint(model).fingerprint;
        const cache = TeacherCache.open(path.join(r.dir, `cache-${kind}`), fp, embeddingDim(model));
        const p = await prepareData(cfg, model, fp, model, path.join(r.dir, `run-${kind}`), { quiet: true, openCache: () => cache });
        // The reference: what prepareRunData built in memory before prepared datasets.
        const { records } = await loadDataset(cfg.data.train);
        const split = devRatio ? splitByRatio(records, devRatio, cfg.seed) : { train: records, dev: [] };
        const index = new Map<string, number>();
        const rows = split.train.map((rec) => recordTexts(rec).map(normalizeSentence).map((t) => (index.has(t) || index.set(t, index.size), index.get(t)!)));
        const refRows = kind === 'triplets' ? rows : [...new Set(rows.flat())].map((i) => [i]);
        const texts = [...index.keys()];
        const teacherRows = (await teacherEmbeddings(model, cache, texts)).embeddings;
        assert.deepEqual(p.dev, split.dev);
        assert.equal(p.manifest.rows, refRows.length);
        assert.equal(p.manifest.sentences, texts.length);
        assert.ok(p.manifest.chunks.length > 2, `${kind}: several chunks`);
        const data = p.source.loadWindow(p.manifest.chunks.map((_, i) => i));
        const dim = embeddingDim(model);
        refRows.forEach((row, k) => row.forEach((sent, j) => {
          const s = data.rows[k][j];
          assert.deepEqual([...data.ids[s]], model.tokenizer.encode(texts[sent]).ids, `${kind} row ${k} sentence ${j}: token ids`);
          assert.ok(Buffer.from(data.teacher.buffer, data.teacher.byteOffset + s * dim * 4, dim * 4).equals(Buffer.from(teacherRows.buffer, sent * dim * 4, dim * 4)), `${kind} row ${k} sentence ${j}: teacher row`);
        }));
      }
    } finally {
      disposeSentenceModel(model);
    }
  });
});
