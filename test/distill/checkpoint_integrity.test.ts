import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { loadCheckpointState } from '../../src/distill/checkpoint';
import { trainRun } from '../../src/pipelines/train_run';
import { DistillError } from '../../src/util/errors';
import { CLI, ROOT, tmpDir } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

function flipBit(file: string, at = 0.5): void {
  const b = fs.readFileSync(file);
  b[Math.floor(b.length * at)] ^= 0x10;
  fs.writeFileSync(file, b);
}

/** A copy of the finished run, to damage without touching the others. */
function copyRun(runDir: string): string {
  const dir = path.join(tmpDir('distill-copy-'), 'run');
  fs.cpSync(runDir, dir, { recursive: true });
  return dir;
}

describe('checkpoint manifest and torn metrics on resume', () => {
  let config: string;
  let runDir: string;
  before(async () => {
    await selectBackend('tensorflow');
    const r = tinyRun({ steps: 20 });
    config = r.config;
    runDir = path.join(r.dir, 'run');
    await trainRun(loadConfig(config), { quiet: true, log: () => {} });
  });

  const ckpt = (dir: string, step: number) => path.join(dir, 'checkpoints', `step-${String(step).padStart(7, '0')}`);

  test('a flipped bit in any checkpoint file is a DistillError naming the file; an older checkpoint without a manifest still loads', () => {
    const dir = copyRun(runDir);
    for (const f of ['model.safetensors', 'optimizer.safetensors', 'training_state.json']) {
      const c = ckpt(copyRun(runDir), 20);
      flipBit(path.join(c, f));
      assert.throws(() => loadCheckpointState(c), (e: Error) => e instanceof DistillError && e.message.startsWith(`${path.join(c, f)}: checksum mismatch`), f);
    }
    const truncated = ckpt(dir, 20);
    fs.truncateSync(path.join(truncated, 'optimizer.safetensors'), 1000);
    assert.throws(() => loadCheckpointState(truncated), /optimizer\.safetensors: 1000 bytes, manifest\.json says \d+ \(truncated/);
    fs.rmSync(path.join(ckpt(dir, 10), 'manifest.json'));
    assert.equal(loadCheckpointState(ckpt(dir, 10)).state.step, 10);
  });

  test('resume after a flipped bit in the newest checkpoint falls back to the previous one and says so; with none left it stops', async () => {
    const dir = copyRun(runDir);
    fs.rmSync(path.join(dir, 'summary.json'));
    flipBit(path.join(ckpt(dir, 20), 'model.safetensors'), 0.9);
    const lines: string[] = [];
    const s = await trainRun(loadConfig(config), { resume: dir, quiet: true, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /^warning: checkpoint \S+step-0000020 is corrupt \(\S+model\.safetensors: checksum mismatch.*moved it to step-0000020\.bad-\S+; resuming from the previous complete checkpoint step-0000010$/.test(l)), lines.join('\n'));
    assert.ok(lines.some((l) => /^resuming from \S+step-0000010: step 10/.test(l)));
    assert.equal(s.steps, 20);
    assert.ok(fs.readdirSync(path.join(dir, 'checkpoints')).some((f) => /^step-0000020\.bad-/.test(f)), 'the corrupt one is kept aside');
    assert.equal(loadCheckpointState(ckpt(dir, 20)).state.step, 20, 'step 20 written anew');

    const only = copyRun(runDir);
    fs.rmSync(ckpt(only, 10), { recursive: true });
    flipBit(path.join(ckpt(only, 20), 'optimizer.safetensors'));
    const p = spawnSync('node', [CLI, 'train', '--resume', only], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /error: \S+step-0000020\/optimizer\.safetensors: checksum mismatch/);
    assert.ok(fs.existsSync(ckpt(only, 20)), 'with nothing to fall back to, the folder is left as it was');
  });

  test('a torn last line of metrics.jsonl (killed mid-append): --resume drops it, says so, and finishes', () => {
    const dir = copyRun(runDir);
    fs.rmSync(ckpt(dir, 20), { recursive: true });
    fs.rmSync(path.join(dir, 'summary.json'));
    const metrics = path.join(dir, 'metrics.jsonl');
    const whole = fs.readFileSync(metrics, 'utf8').split('\n').filter(Boolean).length;
    fs.appendFileSync(metrics, '{"step":21,"epoch":0,"lr":0.0004');
    const p = spawnSync('node', [CLI, 'train', '--resume', dir], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, new RegExp(`warning: \\S+metrics\\.jsonl: dropped torn last line ${whole + 1} \\(\\d+ bytes without a newline`));
    const steps = fs.readFileSync(metrics, 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.step);
    assert.deepEqual(steps, [5, 10, 15, 20]);
  });
});
