import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'child_process';
import { once } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { resolveModel } from '../../src/hub/resolve_model';
import type { HubSettings } from '../../src/hub/hub_settings';
import { MockHub } from '../helpers/mock_hub';
import { ROOT, TEACHER_DIR, tmpDir } from '../helpers/env';
import { underFileSizeLimit } from '../helpers/file_size_limit';

const MAIN = 'a'.repeat(40);
const V1 = 'b'.repeat(40);
const hub = new MockHub({
  'sentence-transformers/all-MiniLM-L6-v2': { dir: TEACHER_DIR, refs: { main: MAIN, v1: V1 } },
  'acme/gated': { dir: TEACHER_DIR, refs: { main: MAIN }, files: ['config.json', 'modules.json'], auth: 'hf_right' },
  'acme/torch-only': { dir: TEACHER_DIR, refs: { main: MAIN }, files: ['config.json', 'vocab.txt', 'README.md'], ghosts: ['pytorch_model.bin'] },
  'acme/ghost': { dir: TEACHER_DIR, refs: { main: MAIN }, files: ['model.safetensors', 'config.json'], ghosts: ['tokenizer.json'] },
});
const ID = 'sentence-transformers/all-MiniLM-L6-v2';
let shared: HubSettings;

before(async () => {
  await hub.start();
  shared = settings();
});
const caches: string[] = [];
after(async () => {
  await hub.stop();
  for (const d of caches) fs.rmSync(d, { recursive: true, force: true });
});

/** A port nobody listens on (fetch refuses some well-known ports outright, so not 9). */
async function deadPort(): Promise<string> {
  const h = await new MockHub({}).start();
  const url = h.url;
  await h.stop();
  return url;
}

function settings(over: Partial<HubSettings> = {}): HubSettings {
  const cacheDir = tmpDir('hf-cache-');
  caches.push(cacheDir);
  return { cacheDir, endpoint: hub.url, offline: false, ...over };
}

function requestsDuring<T>(f: () => Promise<T>): Promise<{ value: T; requests: string[] }> {
  const start = hub.requests.length;
  return f().then((value) => ({ value, requests: hub.requests.slice(start) }));
}

test('first use downloads only what a sentence model needs into the huggingface_hub layout; the second makes no request', async () => {
  const first = await requestsDuring(() => resolveModel(ID, { settings: shared, quiet: true }));
  const repo = path.join(shared.cacheDir, 'models--sentence-transformers--all-MiniLM-L6-v2');
  assert.equal(first.value.dir, path.join(repo, 'snapshots', MAIN));
  assert.deepEqual(first.value.hub, { repo: ID, revision: 'main', commit: MAIN });
  assert.equal(fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8'), MAIN);
  const got = fs.readdirSync(first.value.dir).sort();
  assert.deepEqual(got, ['1_Pooling', 'config.json', 'config_sentence_transformers.json', 'model.safetensors', 'modules.json', 'sentence_bert_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  const link = path.join(first.value.dir, 'model.safetensors');
  assert.ok(fs.lstatSync(link).isSymbolicLink() && !path.isAbsolute(fs.readlinkSync(link)), 'snapshot files are relative links into blobs/');
  assert.deepEqual(fs.readFileSync(link), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
  assert.ok(!first.requests.some((r) => /README|data_config|gitattributes/.test(r)), first.requests.join('\n'));
  assert.ok(first.requests.some((r) => r.startsWith('GET /cdn/')), 'the weights came through the redirect');
  const second = await requestsDuring(() => resolveModel(ID, { settings: shared }));
  assert.deepEqual(second.requests, []);
  assert.equal(second.value.dir, first.value.dir);
});

test('HF_HUB_OFFLINE serves the cache with the server stopped, and names what is cached when a revision is not', async () => {
  await resolveModel(ID, { settings: shared, quiet: true });
  const stopped = settings({ cacheDir: shared.cacheDir, endpoint: await deadPort(), offline: true });
  assert.equal((await resolveModel(ID, { settings: stopped })).hub?.commit, MAIN);
  await assert.rejects(resolveModel(`${ID}@v2`, { settings: stopped }), (e: Error) => {
    assert.match(e.message, /HF_HUB_OFFLINE=1 and revision "v2" is not in the cache/);
    assert.match(e.message, new RegExp(`${ID}@main \\(aaaaaaaaaa\\)`));
    return true;
  });
});

test('a revision pin (tag or commit) resolves to its commit and records the ref', async () => {
  const s = settings();
  const tag = await resolveModel(`${ID}@v1`, { settings: s, quiet: true });
  assert.equal(tag.hub?.commit, V1);
  assert.ok(tag.dir.endsWith(path.join('snapshots', V1)));
  assert.equal(fs.readFileSync(path.join(s.cacheDir, 'models--sentence-transformers--all-MiniLM-L6-v2', 'refs', 'v1'), 'utf8'), V1);
  const pinned = await requestsDuring(() => resolveModel(`${ID}@${MAIN}`, { settings: s, quiet: true }));
  assert.equal(pinned.value.hub?.commit, MAIN);
  assert.ok(!pinned.requests.some((r) => r.startsWith('GET /cdn/') && !r.endsWith('bytes=0-0')), 'the same blobs are not downloaded again for another commit');
});

test('404, 401, 403, PyTorch-only weights and a refused connection each say what to do', async () => {
  const s = settings();
  await assert.rejects(resolveModel('acme/nothing-here', { settings: s }), /acme\/nothing-here@main not found on .* \(HTTP 404\)/);
  await assert.rejects(resolveModel('acme/ghost', { settings: s, quiet: true }), /file "tokenizer.json" of acme\/ghost@a{40} not found .*HTTP 404/);
  await assert.rejects(resolveModel('acme/gated', { settings: s }), /access to acme\/gated@main denied .*HTTP 401.*set HF_TOKEN/);
  await assert.rejects(resolveModel('acme/gated', { settings: { ...s, token: 'hf_wrong' } }), /HTTP 403\): HF_TOKEN is set but was refused/);
  await assert.rejects(resolveModel('acme/torch-only', { settings: s }), (e: Error) => {
    assert.match(e.message, /only PyTorch weights \(pytorch_model.bin\)/);
    assert.match(e.message, /save_pretrained\(d, safe_serialization=True\)/);
    return true;
  });
  await resolveModel(ID, { settings: s, quiet: true });
  const down = { ...s, endpoint: await deadPort() };
  await assert.rejects(resolveModel(`${ID}@v1`, { settings: down }), (e: Error) => {
    assert.match(e.message, /cannot reach http:\/\/127.0.0.1:\d+ .*ECONNREFUSED/);
    assert.match(e.message, /work offline \(set HF_HUB_OFFLINE=1\): sentence-transformers\/all-MiniLM-L6-v2@main \(aaaaaaaaaa\)/);
    return true;
  });
});

test('a download cut mid-file is never trusted, and the retry resumes it with a Range request', async () => {
  const s = settings();
  hub.dropAfter = 5_000_000;
  await assert.rejects(resolveModel(ID, { settings: s, quiet: true }), /download of "model.safetensors" failed .*kept, not used: run again to resume/);
  const repo = path.join(s.cacheDir, 'models--sentence-transformers--all-MiniLM-L6-v2');
  const snap = path.join(repo, 'snapshots', MAIN);
  assert.ok(!fs.existsSync(path.join(snap, 'model.safetensors')), 'no snapshot link to a partial blob');
  assert.ok(fs.readdirSync(path.join(repo, 'blobs')).some((b) => b.endsWith('.incomplete')));
  await assert.rejects(resolveModel(ID, { settings: { ...s, offline: true } }), /lacks model.safetensors/);
  const retry = await requestsDuring(() => resolveModel(ID, { settings: s, quiet: true }));
  assert.ok(retry.requests.some((r) => /^GET \/cdn\/\w+ bytes=5000000-/.test(r)), retry.requests.join('\n'));
  assert.deepEqual(fs.readFileSync(path.join(snap, 'model.safetensors')), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
  assert.ok(!fs.readdirSync(path.join(repo, 'blobs')).some((b) => b.endsWith('.incomplete')));
});

test('two processes-worth of first uses at once (parallel cache-teacher shards) share one download of each blob', async () => {
  const s = settings();
  const both = await requestsDuring(() => Promise.all([resolveModel(ID, { settings: s, quiet: true }), resolveModel(ID, { settings: s, quiet: true })]));
  assert.equal(both.value[0].dir, both.value[1].dir);
  assert.equal(both.requests.filter((r) => /^GET \/cdn\/\w+$/.test(r)).length, 1, both.requests.join('\n'));
  assert.deepEqual(fs.readFileSync(path.join(both.value[0].dir, 'model.safetensors')), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
});

test('a disk that fills mid-download fails with the OS error naming the partial blob, and links nothing', () => {
  const cacheDir = tmpDir('hf-cache-');
  caches.push(cacheDir);
  const repos = JSON.stringify({ 'acme/small': { dir: TEACHER_DIR, refs: { main: MAIN }, files: ['config.json', 'vocab.txt', 'model.safetensors'] } });
  const r = underFileSizeLimit(`const { MockHub } = req('../test/helpers/mock_hub'); const hub = await new (MockHub)(${repos}).start();
    try { await req('hub/resolve_model').resolveModel('acme/small', { settings: { cacheDir: ${JSON.stringify(cacheDir)}, endpoint: hub.url, offline: false }, quiet: true }); } finally { await hub.stop(); }`);
  assert.equal(r.error?.code, 'EFBIG', JSON.stringify(r.error) + r.stderr);
  assert.match(r.error?.path ?? '', /models--acme--small\/blobs\/\w+\.incomplete$/);
  const snap = path.join(cacheDir, 'models--acme--small', 'snapshots', MAIN);
  assert.deepEqual(fs.readdirSync(snap), ['config.json']);
});

test('a blob whose SHA-256 is not the Hub\'s is deleted, never linked, and the retry downloads it afresh', async () => {
  const s = settings();
  hub.corruptNext = true;
  await assert.rejects(resolveModel(ID, { settings: s, quiet: true }), /SHA-256 \w+ does not match the Hub's \w+; deleted it: run again/);
  const repo = path.join(s.cacheDir, 'models--sentence-transformers--all-MiniLM-L6-v2');
  assert.ok(!fs.existsSync(path.join(repo, 'snapshots', MAIN, 'model.safetensors')));
  assert.deepEqual(fs.readdirSync(path.join(repo, 'blobs')).filter((b) => b.length === 64 || b.includes('.incomplete')), []);
  const again = await resolveModel(ID, { settings: s, quiet: true });
  assert.deepEqual(fs.readFileSync(path.join(again.dir, 'model.safetensors')), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
});

test('a download killed mid-file (SIGKILL) leaves a partial file and a dead lock; the next run takes both over and resumes', async () => {
  const s = settings();
  const blobs = path.join(s.cacheDir, 'models--sentence-transformers--all-MiniLM-L6-v2', 'blobs');
  hub.stallAfter = 3_000_000;
  const resolver = path.join(ROOT, 'dist', 'src', 'hub', 'resolve_model');
  const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(resolver)}).resolveModel(${JSON.stringify(ID)}, { settings: ${JSON.stringify(s)}, quiet: true })`], { stdio: 'ignore' });
  const partial = () => (fs.existsSync(blobs) ? fs.readdirSync(blobs).find((b) => b.endsWith('.incomplete')) : undefined);
  for (let i = 0; i < 300 && !(partial() && fs.statSync(path.join(blobs, partial()!)).size >= 3_000_000); i++) await new Promise((ok) => setTimeout(ok, 100));
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal(JSON.parse(fs.readFileSync(path.join(blobs, `${partial()}.lock`), 'utf8')).pid, child.pid, 'the killed process held the lock');
  const retry = await requestsDuring(() => resolveModel(ID, { settings: s, quiet: true }));
  assert.ok(retry.requests.some((r) => /^GET \/cdn\/\w+ bytes=3000000-/.test(r)), retry.requests.join('\n'));
  assert.deepEqual(fs.readFileSync(path.join(retry.value.dir, 'model.safetensors')), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
  assert.deepEqual(fs.readdirSync(blobs).filter((b) => /incomplete|lock/.test(b)), []);
});
