import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { planBatches, paddingFraction } from '../../src/data/length_batches';
import { loadDataset } from '../../src/data/read_dataset';
import { WordPieceTokenizer } from '../../src/tokenizer/wordpiece_tokenizer';
import { Rng } from '../../src/util/rng';
import { DATA } from '../helpers/env';

test('bucketed batches cover every row once, pad far less than random ones, and are seeded', async () => {
  const { records } = await loadDataset({ path: path.join(DATA, 'en', 'train-sentences.tsv'), kind: 'sentences', columns: { text: 'sentence' } });
  const tok = WordPieceTokenizer.fromFile(path.join(DATA, 'vocab', 'bert-base-uncased-vocab.txt'), { lowercase: true, stripAccents: null, handleChineseChars: true, cleanText: true });
  const lengths = records.map((r) => Math.min(128, tok.encode((r as { text: string }).text).ids.length));
  const bucketed = planBatches(lengths, 32, new Rng(7), true);
  const plain = planBatches(lengths, 32, new Rng(7), false);
  for (const b of [bucketed, plain]) {
    const all = b.flat().sort((x, y) => x - y);
    assert.deepEqual(all, lengths.map((_, i) => i));
    assert.ok(b.every((x) => x.length <= 32));
  }
  const pb = paddingFraction(lengths, bucketed);
  const pu = paddingFraction(lengths, plain);
  console.log(`# padding fraction: bucketed ${(100 * pb).toFixed(1)}%, unbucketed ${(100 * pu).toFixed(1)}%`);
  assert.ok(pb < 0.1, `bucketed padding ${pb}`);
  assert.ok(pu > 4 * pb, `unbucketed ${pu} vs bucketed ${pb}`);
  assert.deepEqual(planBatches(lengths, 32, new Rng(7), true), bucketed);
  assert.notDeepEqual(planBatches(lengths, 32, new Rng(8), true), bucketed);
});
