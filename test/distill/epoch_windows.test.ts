import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { EpochBatches } from '../../src/distill/epoch_batches';
import { locateBatch, planEpochWindows } from '../../src/distill/epoch_windows';
import { planEpoch, TrainData } from '../../src/distill/train_data';
import { TrainSource } from '../../src/distill/train_source';
import { Rng } from '../../src/util/rng';

/** Rows with distinct, recognisable first token ids (the row number) and lengths 2..20, cut into chunks. */
function fakeSource(rows: number, chunkRows: number, windowChunks: number, groupSize = 1) {
  const chunkRowsList = Array.from({ length: Math.ceil(rows / chunkRows) }, (_, c) => Math.min(chunkRows, rows - c * chunkRows));
  const lengthOf = (r: number) => 2 + ((r * 7919) % 19);
  const stats = { resident: 0, peak: 0, loads: 0 };
  const source: TrainSource = {
    layout: { chunkRows: chunkRowsList, windowChunks },
    rows, groupSize, teacherDim: 2,
    loadWindow(chunks: number[]): TrainData {
      assert.deepEqual(chunks, [...chunks].sort((a, b) => a - b), 'chunks come ascending');
      stats.resident = chunks.length;
      stats.peak = Math.max(stats.peak, chunks.length);
      stats.loads++;
      const rowIds = chunks.flatMap((c) => Array.from({ length: chunkRowsList[c] }, (_, i) => c * chunkRows + i));
      const ids = rowIds.flatMap((r) => Array.from({ length: groupSize }, () => Int32Array.from({ length: lengthOf(r) }, (_, k) => (k === 0 ? r : 1))));
      return { ids, teacher: new Float32Array(ids.length * 2), teacherDim: 2, padId: 0, rows: rowIds.map((_, i) => Array.from({ length: groupSize }, (_, k) => i * groupSize + k)) };
    },
  };
  return { source, stats, lengthOf };
}

/** The global row ids of batch i (first token of each sentence). */
function rowsOf(e: EpochBatches, i: number): number[] {
  const b = e.batch(i);
  return Array.from({ length: b.tokens.batch }, (_, s) => b.tokens.inputIds[s * b.tokens.seqLen]);
}

describe('streamed epochs: windows of chunks, seeded and exact from any cursor', () => {
  test('Rng.advance(n) lands where n draws do', () => {
    for (const n of [0, 1, 7, 100_000]) {
      const a = new Rng(12345);
      for (let i = 0; i < n; i++) a.next();
      const b = new Rng(12345);
      b.advance(n);
      assert.equal(b.state, a.state, `after ${n} draws`);
    }
  });

  test('one window plans exactly as the in-memory planEpoch: same batches, same RNG state after', () => {
    for (const bucketed of [true, false]) {
      const { source, lengthOf } = fakeSource(1000, 1000, 1);
      const e = new EpochBatches(source, 32, 77, bucketed);
      const lengths = Array.from({ length: 1000 }, (_, r) => lengthOf(r));
      const ref = planEpoch(lengths, 32, 77, bucketed);
      assert.equal(e.count, ref.batches.length);
      assert.equal(e.plan.rngEnd, ref.rngState, 'the next epoch starts from the same RNG state');
      ref.batches.forEach((b, i) => assert.deepEqual(rowsOf(e, i), b, `batch ${i} (bucketed ${bucketed})`));
    }
  });

  test('many windows: every row once per epoch, same batch count every epoch, at most one window resident, any batch the same when entered directly', () => {
    const { source, stats } = fakeSource(1000, 64, 3);
    let rng = 5;
    const orders: string[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      const loadsBefore = stats.loads;
      const e = new EpochBatches(source, 10, rng, true);
      const seen: number[] = [];
      for (let i = 0; i < e.count; i++) seen.push(...rowsOf(e, i));
      assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i), `epoch ${epoch}: each row once`);
      assert.equal(e.count, planEpochWindows(source.layout, 10, 999, true).totalBatches, 'batch count does not depend on the shuffle');
      assert.equal(stats.loads - loadsBefore, e.plan.chunks.length, 'each window read once per epoch');
      orders.push(e.plan.chunks.map((c) => c.join('.')).join('|'));
      // A resumed run enters the epoch at batch i without reading the windows before it.
      for (const i of [0, 7, 23, e.count - 1]) {
        const fresh = new EpochBatches(source, 10, rng, true);
        assert.deepEqual(rowsOf(fresh, i), rowsOf(e, i), `epoch ${epoch} batch ${i}`);
        const at = locateBatch(fresh.plan, i);
        assert.ok(at.batch < fresh.plan.batches[at.window]);
      }
      rng = e.plan.rngEnd;
    }
    assert.equal(stats.peak, 3, 'never more than window_chunks chunks resident');
    assert.equal(new Set(orders).size, 3, 'each epoch orders the chunks differently');
    assert.ok(orders.every((o) => o.endsWith('15')), 'the short last chunk stays in the last window');
  });

  test('triplet rows (3 sentences a row) stream the same way', () => {
    const { source } = fakeSource(200, 16, 2, 3);
    const e = new EpochBatches(source, 8, 3, true);
    const b = e.batch(5);
    assert.equal(b.tokens.batch % 3, 0);
    const firsts = Array.from({ length: b.tokens.batch }, (_, s) => b.tokens.inputIds[s * b.tokens.seqLen]);
    for (let s = 0; s < firsts.length; s += 3) assert.ok(firsts[s] === firsts[s + 1] && firsts[s] === firsts[s + 2], 'a row keeps its three sentences together');
  });
});
