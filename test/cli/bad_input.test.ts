import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadSentenceModel } from '../../src/model/sentence_model';
import { encodeFile } from '../../src/pipelines/encode_file';
import { DistillError } from '../../src/util/errors';
import { CLI, ROOT, runPython, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

function copyDir(src: string): string {
  const dst = path.join(tmpDir(), 'model');
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

function editJson(file: string, edit: (j: Record<string, unknown>) => void) {
  const j = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(j);
  fs.writeFileSync(file, JSON.stringify(j));
}

function assertError(fn: () => unknown, ...parts: string[]) {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof DistillError, `expected DistillError, got ${e.name}: ${e.message}`);
    for (const p of parts) assert.ok(e.message.includes(p), `message "${e.message}" lacks "${p}"`);
    return true;
  });
}

describe('bad input gets a clear error naming the file', () => {
  let tiny: string;
  before(async () => {
    await selectBackend('tensorflow');
    tiny = path.join(tmpDir(), 'tiny');
    runPython('make_tiny_bert.py', ['--out', tiny, '--seed', '3']);
  });

  test('missing model folder, and a folder without config.json', () => {
    assertError(() => loadSentenceModel('/no/such/model'), '/no/such/model', 'does not exist');
    const empty = tmpDir();
    assertError(() => loadSentenceModel(empty), empty, 'missing config.json');
  });

  test('unsupported model_type lists the supported ones', () => {
    const dir = copyDir(tiny);
    editJson(path.join(dir, 'config.json'), (j) => (j.model_type = 'gpt2'));
    assertError(() => loadSentenceModel(dir), path.join(dir, 'config.json'), 'unsupported model_type "gpt2"', 'supported: bert, roberta, xlm-roberta', 'distilbert', 'mpnet');
  });

  test('corrupt and truncated safetensors', () => {
    const dir = copyDir(tiny);
    const file = path.join(dir, 'model.safetensors');
    const good = fs.readFileSync(file);
    const bad = Buffer.from(good);
    bad.writeBigUInt64LE(BigInt(good.length * 10), 0);
    fs.writeFileSync(file, bad);
    assertError(() => loadSentenceModel(dir), file, 'corrupt safetensors header');
    const garbled = Buffer.from(good);
    garbled.write('!!!!', 8);
    fs.writeFileSync(file, garbled);
    assertError(() => loadSentenceModel(dir), file, 'invalid JSON');
    fs.writeFileSync(file, good.subarray(0, good.length - 100));
    assertError(() => loadSentenceModel(dir), file, 'truncated or corrupt');
    fs.rmSync(file);
    assertError(() => loadSentenceModel(dir), 'missing model.safetensors');
  });

  test('shape mismatch between config.json and weights names the tensor', () => {
    const dir = copyDir(tiny);
    editJson(path.join(dir, 'config.json'), (j) => (j.intermediate_size = 48));
    assertError(() => loadSentenceModel(dir), 'shape mismatch for tensor "encoder.layer.0.intermediate.dense.weight"', '[64,32]', '[48,32]');
  });

  test('empty input and non-UTF-8 input', async () => {
    const dir = tmpDir();
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '\n\n');
    await assert.rejects(encodeFile({ model: tiny, input: empty }), /empty\.txt: input has no sentences/);
    const latin1 = path.join(dir, 'latin1.txt');
    fs.writeFileSync(latin1, Buffer.concat([Buffer.from('fine line\n'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])]));
    await assert.rejects(encodeFile({ model: tiny, input: latin1 }), /latin1\.txt: line 2 is not valid UTF-8/);
    const jsonl = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(jsonl, '{"text": "ok"}\n{"txt": "wrong key"}\n');
    await assert.rejects(encodeFile({ model: tiny, input: jsonl }), /bad\.jsonl: line 2: expected a JSON string or an object with a string "text" field/);
  });

  test('CLI: long sentences are truncated and counted; errors exit 2 with the message', () => {
    const dir = tmpDir();
    const input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, ['w1 w2 w3', Array(200).fill('w7').join(' '), 'w4'].join('\n') + '\n');
    const out = path.join(dir, 'emb.jsonl');
    const summary = JSON.parse(execFileSync('node', [CLI, 'encode', '--model', tiny, '--input', input, '--output', out, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
    assert.equal(summary.sentences, 3);
    assert.equal(summary.truncated, 1);
    assert.equal(summary.maxSeqLength, 64);
    const rows = fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(rows.map((r) => r.sentence), ['w1 w2 w3', Array(200).fill('w7').join(' '), 'w4']);
    assert.equal(rows[0].embedding.length, 32);
    // An existing output is kept unless --force.
    const previous = fs.readFileSync(out, 'utf8');
    fs.writeFileSync(path.join(dir, 'other.txt'), 'w5 w6\n');
    const again = spawnSync('node', [CLI, 'encode', '--model', tiny, '--input', path.join(dir, 'other.txt'), '--output', out], { encoding: 'utf8' });
    assert.equal(again.status, 2, again.stderr);
    assert.ok(again.stderr.includes(`error: ${out}: output file already exists; pass --force to overwrite it`), again.stderr);
    assert.equal(fs.readFileSync(out, 'utf8'), previous);
    const forced = spawnSync('node', [CLI, 'encode', '--model', tiny, '--input', path.join(dir, 'other.txt'), '--output', out, '--force'], { encoding: 'utf8' });
    assert.equal(forced.status, 0, forced.stderr);
    assert.deepEqual(fs.readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).sentence), ['w5 w6']);
    const r = spawnSync('node', [CLI, 'encode', '--model', path.join(dir, 'nope'), '--input', input], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /error: .*nope: model folder does not exist/);
    assert.ok(!r.stderr.includes('    at '), 'user errors print no stack trace');
    const unknown = spawnSync('node', [CLI, 'doctor', '--backend', 'tpu'], { encoding: 'utf8' });
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /Choices: "tensorflow-gpu", "webgpu", "tensorflow", "cpu"/);
  });

  test('train: a training row with extra fields is an error naming its line, or with on_bad_row: skip a warning naming it', () => {
    const r = tinyRun({ steps: 1 });
    const train = path.join(r.dir, 'train.tsv');
    const lines = fs.readFileSync(train, 'utf8').split('\n');
    lines[2] = `${lines[2]}\tstray field`;
    fs.writeFileSync(train, lines.join('\n'));
    let p = spawnSync('node', [CLI, 'train', '--config', r.config], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 2, p.stderr);
    assert.ok(p.stderr.includes(`${train}: line 3: row has 2 fields, the header has 1`), p.stderr);
    // The refused run left its config in the folder: a new attempt there says so explicitly.
    p = spawnSync('node', [CLI, 'train', '--config', r.config, '--force-new', '--set', 'data.train.on_bad_row=skip'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /1 bad rows skipped/);
    assert.ok(p.stderr.includes(`warning: bad row skipped: ${train}: line 3: row has 2 fields, the header has 1`), p.stderr);
  });
});
