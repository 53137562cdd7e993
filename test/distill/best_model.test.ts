import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../../src/backend/tf';
import { selectBackend } from '../../src/backend/select_backend';
import { BEST_INFO_FILE, saveBestModel } from '../../src/distill/best_model';
import { HEADS_FILE, OPTIMIZER_FILE, saveCheckpoint, STATE_FILE } from '../../src/distill/checkpoint';
import { encodeSentences } from '../../src/model/sentence_encoder';
import { disposeSentenceModel, loadSentenceModel } from '../../src/model/sentence_model';
import { readF32, runPython, tmpDir } from '../helpers/env';
import { maxAbsDiff } from '../helpers/compare';

function listFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listFiles(dir, path.join(rel, e.name)) : [path.join(rel, e.name)])).sort();
}

describe('best/ is a clean sentence-transformers model folder', () => {
  let tiny: string;
  before(async () => {
    await selectBackend('tensorflow');
    tiny = path.join(tmpDir(), 'tiny');
    runPython('make_tiny_bert.py', ['--out', tiny, '--seed', '11']);
  });

  test('no optimizer or training state; replaces an older best/ written as a checkpoint; loads here and in SentenceTransformer', async () => {
    const model = loadSentenceModel(tiny);
    const run = tmpDir();
    const best = path.join(run, 'best');
    // An older run wrote best/ as a full checkpoint: saving the best model must replace it, not merge into it.
    const slot = tf.zeros([2]);
    saveCheckpoint(best, model, { step: 1 } as never, new Map([['m.x', slot]]), new Map([['head', slot]]));
    slot.dispose();
    assert.ok(fs.existsSync(path.join(best, OPTIMIZER_FILE)));

    saveBestModel(best, model, { step: 40, metric: 'sts_dev_spearman', value: 81.5 });
    const files = listFiles(best);
    for (const f of [OPTIMIZER_FILE, HEADS_FILE, STATE_FILE]) assert.ok(!files.includes(f), `${f} must not be in best/: ${files.join(', ')}`);
    for (const f of ['config.json', 'model.safetensors', 'modules.json', path.join('1_Pooling', 'config.json'), 'sentence_bert_config.json']) assert.ok(files.includes(f), `${f} missing: ${files.join(', ')}`);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(best, BEST_INFO_FILE), 'utf8')), { step: 40, metric: 'sts_dev_spearman', value: 81.5 });
    assert.deepEqual(fs.readdirSync(run), ['best'], 'no temporary or old folder left beside it');

    const sentences = ['w1 w2 w3', 'w7 w8', 'w20 w21 w22 w23 w24'];
    const reloaded = loadSentenceModel(best);
    const ours = await encodeSentences(reloaded, sentences);
    const input = path.join(run, 'in.txt');
    fs.writeFileSync(input, sentences.join('\n') + '\n');
    runPython('ref_encode.py', ['--model', best, '--input', input, '--output', path.join(run, 'ref.f32')]);
    const theirs = readF32(path.join(run, 'ref.f32'));
    assert.ok(maxAbsDiff(ours.embeddings, theirs) <= 1e-5, `SentenceTransformer(best/) differs: ${maxAbsDiff(ours.embeddings, theirs)}`);
    disposeSentenceModel(reloaded);
    disposeSentenceModel(model);
  });
});
