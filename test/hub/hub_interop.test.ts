import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { promisify } from 'util';
import { resolveModel } from '../../src/hub/resolve_model';
import { MockHub } from '../helpers/mock_hub';
import { CLI, PYTHON, TEACHER_DIR, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

// Child processes run asynchronously: the mock Hub lives in this process's event loop.
const run = promisify(execFile);
const MAIN = 'c'.repeat(40);
const ID = 'sentence-transformers/all-MiniLM-L6-v2';
const tiny = tinyRun({ steps: 2, every: 2, sentences: 40 });
const hub = new MockHub({ [ID]: { dir: TEACHER_DIR, refs: { main: MAIN } }, 'acme/tiny-bert': { dir: tiny.teacher, refs: { main: MAIN } } });
const NEEDED = ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json', 'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json', '1_Pooling/*'];

const scratch: string[] = [tiny.dir];
before(() => hub.start());
after(async () => {
  await hub.stop();
  for (const d of scratch) fs.rmSync(d, { recursive: true, force: true });
});

function python(code: string, env: Record<string, string>): Promise<string> {
  return run(PYTHON, ['-c', code], { env: { ...process.env, ...env }, encoding: 'utf8' }).then((r) => r.stdout.trim());
}

test('Python huggingface_hub finds offline what we downloaded, and we find offline what it downloaded', async () => {
  const ours = tmpDir('hf-ours-');
  scratch.push(ours);
  const r = await resolveModel(ID, { settings: { cacheDir: ours, endpoint: hub.url, offline: false }, quiet: true });
  const found = await python(
    `from huggingface_hub import snapshot_download, hf_hub_download; import json, os
p = snapshot_download('${ID}', local_files_only=True, cache_dir='${ours}')
w = hf_hub_download('${ID}', 'model.safetensors', local_files_only=True, cache_dir='${ours}')
print(json.dumps({'dir': p, 'weights': os.path.getsize(w)}))`, {});
  assert.deepEqual(JSON.parse(found), { dir: r.dir, weights: fs.statSync(path.join(TEACHER_DIR, 'model.safetensors')).size });

  const theirs = tmpDir('hf-theirs-');
  scratch.push(theirs);
  const pyDir = await python(`from huggingface_hub import snapshot_download; print(snapshot_download('${ID}', allow_patterns=${JSON.stringify(NEEDED)}))`, { HF_ENDPOINT: hub.url, HF_HUB_CACHE: theirs, HF_HUB_DISABLE_PROGRESS_BARS: '1' });
  const before = hub.requests.length;
  const mine = await resolveModel(ID, { settings: { cacheDir: theirs, endpoint: 'http://127.0.0.1:1', offline: true } });
  assert.equal(mine.dir, pyDir);
  assert.equal(mine.hub?.commit, MAIN);
  assert.equal(hub.requests.length, before, 'offline: no request');
  assert.deepEqual(fs.readFileSync(path.join(mine.dir, 'model.safetensors')), fs.readFileSync(path.join(TEACHER_DIR, 'model.safetensors')));
});

test('distill encode --model org/name downloads through HF_ENDPOINT with a bytes/ETA progress line, then works offline and encodes as the folder does', async () => {
  const dir = tmpDir('hf-encode-');
  scratch.push(dir);
  const input = path.join(dir, 'in.txt');
  fs.writeFileSync(input, 'A man is playing a guitar.\nThe cat sits on the mat.\n');
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(dir, 'hub'), HF_TOKEN: '' };
  const viaHub = await run('node', [CLI, 'encode', '--model', ID, '--input', input, '--output', path.join(dir, 'hub.jsonl'), '--json'], { env, encoding: 'utf8' });
  assert.match(viaHub.stderr, /download sentence-transformers\/all-MiniLM-L6-v2 \[=+\] [\d.]+ MB\/[\d.]+ MB 100% .* ETA/);
  await run('node', [CLI, 'encode', '--model', `${ID}@main`, '--input', input, '--output', path.join(dir, 'offline.jsonl'), '--json'], { env: { ...env, HF_ENDPOINT: 'http://127.0.0.1:1', HF_HUB_OFFLINE: '1' }, encoding: 'utf8' });
  await run('node', [CLI, 'encode', '--model', TEACHER_DIR, '--input', input, '--output', path.join(dir, 'local.jsonl'), '--json'], { encoding: 'utf8' });
  const rows = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8');
  assert.equal(rows('hub.jsonl'), rows('local.jsonl'));
  assert.equal(rows('offline.jsonl'), rows('local.jsonl'));
});

/** Just enough of MLflow's REST API to start a run; records what was posted. */
async function fakeMlflow(): Promise<{ uri: string; posted: Array<{ path: string; body: any }>; server: http.Server }> {
  const posted: Array<{ path: string; body: any }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const p = req.url!.split('?')[0];
      if (req.method === 'POST') posted.push({ path: p, body: body ? JSON.parse(body) : {} });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (p.endsWith('/experiments/get-by-name')) return res.end(JSON.stringify({ experiment: { experiment_id: '1' } }));
      if (p.endsWith('/runs/create')) return res.end(JSON.stringify({ run: { info: { run_id: 'r1', experiment_id: '1', status: 'RUNNING' } } }));
      res.end('{}');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posted, server };
}

test('train with teacher.model a Hub id records the resolved commit in the run folder, the MLflow tags and the teacher cache', async () => {
  const cfg = fs.readFileSync(tiny.config, 'utf8').replace(`model: ${tiny.teacher},`, 'model: acme/tiny-bert,');
  fs.writeFileSync(tiny.config, cfg);
  const mlflow = await fakeMlflow();
  const env = { ...process.env, HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(tiny.dir, 'hub'), HF_TOKEN: '', MLFLOW_TRACKING_URI: mlflow.uri };
  const r = await run('node', [CLI, 'train', '--config', tiny.config, '--json'], { env, encoding: 'utf8' }).finally(() => mlflow.server.close());
  const created = mlflow.posted.find((p) => p.path.endsWith('/runs/create'));
  assert.ok(created?.body.tags.some((t: { key: string; value: string }) => t.key === 'distill.teacher_commit' && t.value === MAIN), JSON.stringify(created));
  assert.match(r.stderr, new RegExp(`teacher: acme/tiny-bert \\(commit ${MAIN}\\)`));
  const record = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'run', 'teacher.json'), 'utf8'));
  assert.deepEqual(record.hub, { repo: 'acme/tiny-bert', revision: 'main', commit: MAIN });
  // best/'s model card names the Hub teacher as its base model, with the resolved commit.
  const card = fs.readFileSync(path.join(tiny.dir, 'run', 'best', 'README.md'), 'utf8');
  assert.match(card, /^---\n[\s\S]*^base_model: acme\/tiny-bert$[\s\S]*^---$/m);
  assert.ok(card.includes(`revision \`main\`, commit \`${MAIN}\``), card);
  const [fp] = fs.readdirSync(path.join(tiny.dir, 'cache'));
  const meta = JSON.parse(fs.readFileSync(path.join(tiny.dir, 'cache', fp, 'teacher.json'), 'utf8'));
  assert.equal(meta.teacher, 'acme/tiny-bert');
  assert.deepEqual(meta.hub, { repo: 'acme/tiny-bert', commit: MAIN });
});
