import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { nativeBackendUnderTest } from '../helpers/native_backend';
import { SentenceModel } from '../../src/model/sentence_model';
import { bertForward } from '../../src/model/bert_encoder';
import { l2Normalize, pool } from '../../src/model/pooling';
import { tmpDir } from '../helpers/env';
import { makeTinyModel, TinyModel, TinyReference } from '../helpers/tiny_model';
import { assertClose, flatten } from '../helpers/compare';

// Tiny random BERTs built and run by PyTorch transformers (eager attention): the
// independent reference for every layer. Tolerance 2e-5 absolute on O(1) values.
const TOL = 2e-5;

type Reference = TinyReference;

function makeTiny(args: string[]): TinyModel {
  return makeTinyModel(path.join(tmpDir(), 'tiny'), args);
}

function checkModel(model: SentenceModel, ref: Reference, label: string) {
  tf.tidy(() => {
    const mask = tf.tensor2d(ref.attention_mask, undefined, 'int32');
    const out = bertForward(model.config, model.weights, {
      inputIds: tf.tensor2d(ref.input_ids, undefined, 'int32'),
      attentionMask: mask,
      tokenTypeIds: tf.tensor2d(ref.token_type_ids, undefined, 'int32'),
    }, { hiddenStates: true, attentions: true });
    assert.equal(out.hiddenStates!.length, model.config.numHiddenLayers + 1);
    out.hiddenStates!.forEach((h, l) => assertClose(h.dataSync(), flatten(ref.hidden_states[l]), TOL, `${label} hidden state ${l}`));
    out.attentions!.forEach((a, l) => assertClose(a.dataSync(), flatten(ref.attentions[l]), TOL, `${label} attention ${l}`));
    const h = out.lastHiddenState;
    assertClose(pool({ modes: ['mean'], dimension: 32 }, h, mask).dataSync(), flatten(ref.mean), TOL, `${label} mean pooling`);
    assertClose(pool({ modes: ['cls'], dimension: 32 }, h, mask).dataSync(), flatten(ref.cls), TOL, `${label} cls pooling`);
    assertClose(pool({ modes: ['max'], dimension: 32 }, h, mask).dataSync(), flatten(ref.max), TOL, `${label} max pooling`);
    assertClose(l2Normalize(pool({ modes: ['mean'], dimension: 32 }, h, mask)).dataSync(), flatten(ref.mean_normalized), TOL, `${label} normalize`);
  });
}

describe('BERT-family layers on tiny random models vs PyTorch transformers', () => {
  let gelu: { model: SentenceModel; ref: Reference };
  let relu: { model: SentenceModel; ref: Reference };
  let roberta: { model: SentenceModel; ref: Reference };
  let xlmr: { model: SentenceModel; ref: Reference };
  before(async () => {
    await selectBackend(nativeBackendUnderTest());
    gelu = makeTiny(['--seed', '1']);
    relu = makeTiny(['--seed', '2', '--act', 'relu', '--layers', '3', '--heads', '2']);
    roberta = makeTiny(['--seed', '3', '--arch', 'roberta']);
    xlmr = makeTiny(['--seed', '4', '--arch', 'xlm-roberta', '--layers', '3']);
  });
  for (const backend of ['tensorflow', 'cpu']) {
    test(`embeddings, attention, GELU FFN, LayerNorm and pooling match on ${backend}`, async () => {
      await tf.setBackend(backend);
      checkModel(gelu.model, gelu.ref, `${backend}/gelu`);
      checkModel(relu.model, relu.ref, `${backend}/relu`);
      await tf.setBackend('tensorflow');
    });
    test(`RoBERTa and XLM-R (positions after padding_idx, one token type) match on ${backend}`, async () => {
      await tf.setBackend(backend);
      assert.equal(roberta.model.config.family, 'roberta');
      assert.equal(xlmr.model.config.modelType, 'xlm-roberta');
      // Padding must sit at padding_idx 1 and tokens start at 2, or the reference would differ at every position.
      assert.equal(roberta.ref.input_ids[2][6], 1);
      checkModel(roberta.model, roberta.ref, `${backend}/roberta`);
      checkModel(xlmr.model, xlmr.ref, `${backend}/xlm-roberta`);
      await tf.setBackend('tensorflow');
    });
  }
  test('RoBERTa holds 512 tokens in its 514 positions; a student keeps the family and saves under it', () => {
    assert.equal(roberta.model.maxSeqLength, 64);
    assert.deepEqual(roberta.model.arch.configToJson(roberta.model.config).architectures, ['RobertaModel']);
    assert.deepEqual(xlmr.model.arch.configToJson(xlmr.model.config).architectures, ['XLMRobertaModel']);
  });
  test('a masked-out padding token does not change the real tokens (batch vs single)', () => {
    tf.tidy(() => {
      const ids = gelu.ref.input_ids;
      const run = (rows: number[][], masks: number[][]) =>
        bertForward(gelu.model.config, gelu.model.weights, { inputIds: tf.tensor2d(rows, undefined, 'int32'), attentionMask: tf.tensor2d(masks, undefined, 'int32') }).lastHiddenState;
      const batched = run(ids, gelu.ref.attention_mask).slice([2, 0, 0], [1, 3, -1]);
      const alone = run([ids[2].slice(0, 3)], [[1, 1, 1]]);
      assertClose(batched.dataSync(), alone.dataSync(), 1e-5, 'padding leak');
    });
  });
});
