import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { loadSentenceModel, SentenceModel } from '../../src/model/sentence_model';
import { sharedTeacherEmbeddings } from '../../src/pipelines/shared_teacher_embeddings';
import { teacherRuntime } from '../../src/pipelines/teacher_runtime';
import { TeacherCache } from '../../src/teacher/teacher_cache';
import { teacherEmbeddings } from '../../src/teacher/teacher_embeddings';
import { planTokenBatches } from '../../src/tokenizer/token_batches';
import { Rng } from '../../src/util/rng';
import { TEACHER_DIR, tmpDir } from '../helpers/env';
import { stsbDevSentences } from '../helpers/sts_sentences';

/** Rows of `a` and `b` (same sentences) that are not bit-identical. */
function differingRows(a: Float32Array, b: Float32Array, dim: number): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  let n = 0;
  for (let r = 0; r < a.length / dim; r++) {
    for (let i = r * dim; i < (r + 1) * dim; i++) {
      if (ua[i] !== ub[i]) {
        n++;
        break;
      }
    }
  }
  return n;
}

/** The plan's batches as sets of texts, for comparing plans of differently ordered inputs. */
const asTexts = (batches: number[][], texts: string[]) => batches.map((b) => b.map((i) => texts[i]).sort().join('|'));

describe('teacher batch plan', () => {
  test('batches depend on the set only; any union of whole batches plans back to those batches', () => {
    const rng = new Rng(3);
    const texts = Array.from({ length: 203 }, (_, i) => `s${i}`);
    const lengths = texts.map(() => 1 + Math.floor(rng.next() * 9));
    const plan = planTokenBatches(lengths, texts, 16);
    assert.deepEqual(plan.map((b) => b.length), [...Array(12).fill(16), 11]);
    for (const b of plan) for (let j = 1; j < b.length; j++) assert.ok(lengths[b[j - 1]] >= lengths[b[j]], 'longest first');
    const perm = rng.shuffle(texts.map((_, i) => i));
    assert.deepEqual(asTexts(planTokenBatches(perm.map((i) => lengths[i]), perm.map((i) => texts[i]), 16), perm.map((i) => texts[i])), asTexts(plan, texts));
    // Batches 1, 4, 7, 10 and the short last one (as shard 1 of 3 owns them), shuffled.
    const own = rng.shuffle([1, 4, 7, 10, 12].flatMap((b) => plan[b]));
    assert.deepEqual(asTexts(planTokenBatches(own.map((i) => lengths[i]), own.map((i) => texts[i]), 16), own.map((i) => texts[i])), asTexts([1, 4, 7, 10, 12].map((b) => plan[b]), texts));
  });

  describe('on tfjs-node with the real teacher', () => {
    let model: SentenceModel;
    let sentences: string[];
    let whole: Float32Array;
    before(async () => {
      await selectBackend('tensorflow');
      model = loadSentenceModel(TEACHER_DIR);
      sentences = [...new Set(stsbDevSentences())].slice(0, 200);
      whole = (await teacherEmbeddings(model, TeacherCache.open(tmpDir(), 'plan', 384), sentences, { batchSize: 16 })).embeddings;
    });

    test('other batch mates change rows in the last bits, which is why the plan is fixed', async () => {
      // Encoded in input order (other mates, other padding) rather than the plan's.
      const rows = new Float32Array(whole.length);
      for (let s = 0; s < sentences.length; s += 16) rows.set((await encodeSentences(model, sentences.slice(s, s + 16), { batchSize: 16 })).embeddings, s * 384);
      const differ = differingRows(rows, whole, 384);
      console.log(`${differ} of ${sentences.length} rows differ in their bits with other batch mates`);
      assert.ok(differ > 0, 'tfjs-node rounds by batch mates (else this test proves nothing)');
    });

    test('chunked, reordered, partly cached or write-sharded fills give the same rows bit for bit', async () => {
      const rng = new Rng(5);
      const shuffled = rng.shuffle([...sentences]);
      const chunked = await teacherEmbeddings(model, TeacherCache.open(tmpDir(), 'plan', 384), shuffled, { batchSize: 16, chunk: 40 });
      const back = new Map(shuffled.map((s, i) => [s, i]));
      const reordered = new Float32Array(whole.length);
      sentences.forEach((s, i) => reordered.set(chunked.embeddings.subarray(back.get(s)! * 384, (back.get(s)! + 1) * 384), i * 384));
      assert.equal(differingRows(reordered, whole, 384), 0, 'chunks of whole batches, input shuffled');
      // A cache already holding a third of the rows (from the plan of another set): the missing ones are computed with their plan's batch mates.
      const partial = TeacherCache.open(tmpDir(), 'plan', 384);
      await teacherEmbeddings(model, partial, sentences.filter((_, i) => i % 3 === 0), { batchSize: 16 });
      const rest = await teacherEmbeddings(model, partial, sentences, { batchSize: 16 });
      const fresh = sentences.map((_, i) => i).filter((i) => i % 3 !== 0);
      const pick = (a: Float32Array) => Float32Array.from(fresh.flatMap((i) => [...a.subarray(i * 384, (i + 1) * 384)]));
      assert.equal(rest.computed, fresh.length);
      assert.equal(differingRows(pick(rest.embeddings), pick(whole), 384), 0, 'rows computed into a partly filled cache');
      const shared = await sharedTeacherEmbeddings(model, TeacherCache.open(tmpDir(), 'plan', 384), sentences, { batchSize: 16 });
      assert.equal(differingRows(shared.embeddings, whole, 384), 0, 'write-sharded under locks');
    });

    test('the onnx runtime encodes in the same batches (same real and padded token counts)', async () => {
      const rt = teacherRuntime(model, 'onnx', { onnxDir: path.join(tmpDir(), 'onnx') });
      try {
        const tf = await encodeSentences(model, sentences, { batchSize: 16 });
        const onnx = (await rt.encode(sentences, { batchSize: 16 })) as unknown as { tokens: number; paddedTokens: number };
        assert.deepEqual([onnx.tokens, onnx.paddedTokens], [tf.tokens, tf.paddedTokens]);
        assert.ok(tf.paddedTokens < tf.tokens * 1.1, `token-sorted batches pad little: ${tf.paddedTokens} slots for ${tf.tokens} tokens`);
      } finally {
        await rt.release();
      }
    });
  });
});
