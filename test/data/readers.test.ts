import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { loadDataset, readDataset, newStats } from '../../src/data/read_dataset';
import { DatasetSpec } from '../../src/data/dataset_spec';
import { DistillError } from '../../src/util/errors';
import { DATA, runPython, tmpDir } from '../helpers/env';

function convert(input: string, extra: string[] = []): string {
  const prefix = path.join(tmpDir(), 'data');
  runPython('convert_table.py', ['--input', input, '--out', prefix, '--row-group-size', '500', ...extra]);
  return prefix;
}

async function records(spec: DatasetSpec) {
  return (await loadDataset(spec)).records;
}

describe('dataset readers give the same rows from every format', () => {
  test('STS-B dev pairs: TSV vs pyarrow-written JSONL, CSV, Arrow file, Arrow stream, Parquet', async () => {
    const tsv = path.join(DATA, 'en', 'stsb-dev.tsv');
    const prefix = convert(tsv);
    const columns = { text_a: 'sentence1', text_b: 'sentence2', score: 'score' };
    const base = await records({ path: tsv, kind: 'pairs', columns });
    assert.equal(base.length, 1500);
    assert.deepEqual(base[0], { text_a: 'A man with a hard hat is dancing.', text_b: 'A man wearing a hard hat is dancing.', score: 5 });
    for (const ext of ['.jsonl', '.csv', '.arrow', '.arrows', '.parquet']) {
      const got = await records({ path: prefix + ext, kind: 'pairs', columns });
      assert.deepEqual(got, base, ext);
    }
  });

  test('unlabeled sentences and Chinese pairs without a header, by column index', async () => {
    const sentences = path.join(DATA, 'en', 'train-sentences.tsv');
    const prefix = convert(sentences);
    const base = await records({ path: sentences, kind: 'sentences', columns: { text: 'sentence' } });
    assert.equal(base.length, 20000);
    for (const ext of ['.jsonl', '.csv', '.arrow', '.parquet']) {
      assert.deepEqual(await records({ path: prefix + ext, kind: 'sentences', columns: { text: 'sentence' } }), base, ext);
    }
    const zh = path.join(DATA, 'zh', 'csts-dev.txt');
    const zprefix = convert(zh, ['--no-header']);
    const zbase = await records({ path: zh, format: 'tsv', header: false, kind: 'pairs', columns: { text_a: 0, text_b: 1, score: 2 } });
    assert.equal(zbase.length, 1458);
    for (const ext of ['.jsonl', '.csv', '.arrow', '.parquet']) {
      assert.deepEqual(await records({ path: zprefix + ext, kind: 'pairs', columns: { text_a: 0, text_b: 1, score: 2 } }), zbase, ext);
    }
  });

  test('CSV quoting: delimiters, doubled quotes and newlines inside fields', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'q.csv');
    fs.writeFileSync(file, 'query,positive,negative\n"a, b","say ""hi""","two\nlines"\nplain,x,y\n');
    assert.deepEqual(await records({ path: file, kind: 'triplets' }), [
      { query: 'a, b', positive: 'say "hi"', negative: 'two\nlines' },
      { query: 'plain', positive: 'x', negative: 'y' },
    ]);
  });

  test('filters: where, dedupe, min/max chars, limit', async () => {
    const stats = newStats();
    const got: unknown[] = [];
    const file = path.join(tmpDir(), 's.tsv');
    fs.writeFileSync(file, 'split\ttext\ntrain\tHello  world\ndev\tskip me\ntrain\tHello world\ntrain\tx\ntrain\tanother one\ntrain\tthird\n');
    for await (const r of readDataset({ path: file, kind: 'sentences', where: { split: 'train' }, dedupe: true, min_chars: 2, limit: 2 }, stats)) got.push(r);
    assert.deepEqual(got, [{ text: 'Hello  world' }, { text: 'another one' }]);
    assert.equal(stats.duplicates, 1);
    assert.equal(stats.filtered, 2);
  });
});

describe('bad rows and corrupt files', () => {
  const pairs = (file: string, extra: Partial<DatasetSpec> = {}): DatasetSpec => ({ path: file, kind: 'pairs', columns: { text_a: 'sentence1', text_b: 'sentence2', score: 'score' }, ...extra });

  test('a bad row names file, line and column; on_bad_row: skip counts it', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'bad.tsv');
    const lines = fs.readFileSync(path.join(DATA, 'en', 'stsb-dev.tsv'), 'utf8').split('\n').slice(0, 8);
    lines[4] = lines[4].split('\t').map((v, i) => (i === 5 ? 'five' : v)).join('\t');
    lines[6] = lines[6].split('\t').slice(0, 6).join('\t');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    await assert.rejects(loadDataset(pairs(file)), (e: Error) => {
      assert.ok(e instanceof DistillError);
      assert.match(e.message, /bad\.tsv: line 5: column "score" \(field "score"\) must be a number, got "five"/);
      return true;
    });
    const { records: recs, stats } = await loadDataset(pairs(file, { on_bad_row: 'skip' }));
    assert.equal(recs.length, 5);
    assert.equal(stats.badRows, 2);
    assert.match(stats.badExamples[1], /line 7: column "sentence1" \(field "text_a"\) is missing or empty; row has 6 columns, header has 8/);
  });

  test('a CSV/TSV row with more fields than the header (or a headerless file\'s first row) is a bad row naming its line', async () => {
    const dir = tmpDir();
    const tsv = path.join(dir, 'extra.tsv');
    fs.writeFileSync(tsv, 'sentence1\tsentence2\tscore\na\tb\t1\nc\td\t2\tstray\ne\tf\t3\n');
    await assert.rejects(loadDataset(pairs(tsv)), /extra\.tsv: line 3: row has 4 fields, the header has 3/);
    const { records: recs, stats } = await loadDataset(pairs(tsv, { on_bad_row: 'skip' }));
    assert.deepEqual(recs.map((r) => (r as { text_a: string }).text_a), ['a', 'e']);
    assert.equal(stats.badRows, 1);
    assert.match(stats.badExamples[0], /line 3: row has 4 fields/);
    const csv = path.join(dir, 'extra.csv');
    fs.writeFileSync(csv, 'a,b,1\n"c, quoted","d\nacross lines",2\ne,f,3,4\n');
    const headerless: DatasetSpec = { path: csv, kind: 'pairs', header: false, columns: { text_a: 0, text_b: 1, score: 2 } };
    await assert.rejects(loadDataset(headerless), /extra\.csv: line 4: row has 4 fields, the first row has 3/);
    assert.deepEqual((await loadDataset({ ...headerless, on_bad_row: 'skip' })).records.map((r) => (r as { text_a: string }).text_a), ['a', 'c, quoted']);
  });

  test('truncated Arrow and Parquet files and invalid UTF-8 fail clearly, never as partial data', async () => {
    const prefix = convert(path.join(DATA, 'en', 'stsb-dev.tsv'));
    for (const ext of ['.arrow', '.arrows', '.parquet']) {
      const bytes = fs.readFileSync(prefix + ext);
      const cut = prefix + '-cut' + ext;
      fs.writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      await assert.rejects(loadDataset(pairs(cut)), (e: Error) => {
        assert.ok(e instanceof DistillError, `${ext}: ${e.message}`);
        assert.ok(e.message.includes(cut), e.message);
        assert.match(e.message, /truncated|corrupt/);
        return true;
      }, ext);
    }
    const bad = prefix + '-latin1.tsv';
    fs.writeFileSync(bad, Buffer.concat([Buffer.from('text\nok\nalso ok\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]));
    await assert.rejects(loadDataset({ path: bad, kind: 'sentences' }), /latin1\.tsv: line 4 is not valid UTF-8/);
    await assert.rejects(loadDataset({ path: prefix + '.xyz', kind: 'sentences' }), /cannot tell the format.*jsonl, csv, tsv, arrow, parquet/);
  });
});
