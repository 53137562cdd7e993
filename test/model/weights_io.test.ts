import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { readSafetensors } from '../../src/model/safetensors';
import { loadSentenceModel, saveSentenceModel } from '../../src/model/sentence_model';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { TEACHER_DIR, readF32, runPython, tmpDir } from '../helpers/env';
import { assertClose, flatten, maxAbsDiff } from '../helpers/compare';

describe('weights I/O', () => {
  before(async () => {
    await selectBackend('tensorflow');
  });

  test('reads F32, F16, BF16 and I64 tensors written by the Python safetensors library', () => {
    const dir = tmpDir();
    runPython('write_dtype_safetensors.py', [path.join(dir, 'x.safetensors'), path.join(dir, 'x.json')]);
    const want = JSON.parse(fs.readFileSync(path.join(dir, 'x.json'), 'utf8'));
    const got = readSafetensors(path.join(dir, 'x.safetensors'));
    for (const k of ['f32', 'f16', 'bf16', 'i64']) {
      assert.deepEqual(got.get(k)!.shape, k === 'i64' ? [2, 3] : [3, 5]);
      assertClose(got.get(k)!.data, flatten(want[k]), 0, k);
    }
  });

  test('a saved model loads in Python sentence-transformers and gives the same embeddings', async () => {
    const model = loadSentenceModel(TEACHER_DIR);
    const out = path.join(tmpDir(), 'saved');
    saveSentenceModel(model, out);
    for (const f of ['config.json', 'model.safetensors', 'modules.json', '1_Pooling/config.json', 'sentence_bert_config.json', 'tokenizer.json']) {
      assert.ok(fs.existsSync(path.join(out, f)), f);
    }
    const sentences = ['A man is playing a guitar.', 'Two dogs run across the snowy field near the old barn.', 'ok'];
    fs.writeFileSync(path.join(out, '..', 'in.txt'), sentences.join('\n') + '\n');
    runPython('ref_encode.py', ['--model', out, '--input', path.join(out, '..', 'in.txt'), '--output', path.join(out, '..', 'ref.f32')]);
    const ours = await encodeSentences(model, sentences);
    const theirs = readF32(path.join(out, '..', 'ref.f32'));
    assert.ok(maxAbsDiff(ours.embeddings, theirs) <= 1e-5, `max abs diff ${maxAbsDiff(ours.embeddings, theirs)}`);
    // And the saved folder reloads here with identical weights.
    const again = loadSentenceModel(out);
    for (const [name, t] of model.weights) assertClose(again.weights.get(name)!.dataSync(), t.dataSync(), 0, name);
    assert.equal(again.normalize, true);
    assert.deepEqual(again.pooling.modes, ['mean']);
  });
});
