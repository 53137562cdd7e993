import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { trainRun } from '../../src/pipelines/train_run';
import { CLI, ROOT } from '../helpers/env';
import { cliUnderFileSizeLimit, trainUntilFileLimit } from '../helpers/file_size_limit';
import { tinyRun, tinyRunVariant } from '../helpers/tiny_run';

/**
 * A disk filling up part-way through each kind of write (provoked with a
 * file-size limit: EFBIG part-way, as ENOSPC would be): the error says which
 * file and what was being written (exit 2), nothing torn or temporary is
 * left, and a rerun or resume once there is room succeeds.
 */
function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [e.name + '/', ...walk(path.join(dir, e.name)).map((f) => `${e.name}/${f}`)] : [e.name]));
}

function leftovers(dir: string): string[] {
  return walk(dir).filter((f) => /\.(tmp|old)-/.test(f));
}

function metricSteps(runDir: string): number[] {
  const text = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8');
  assert.ok(text.endsWith('\n'), 'metrics.jsonl ends with a whole line');
  return text.trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.step);
}

describe('disk full part-way through a write', () => {
  let base: ReturnType<typeof tinyRun>;
  before(async () => {
    await selectBackend('tensorflow');
    base = tinyRun({ steps: 10 });
  });

  test('(a) teacher-cache part: exit 2 naming the part, no part or temporary left, the rerun computes it', () => {
    const r = tinyRunVariant(base, 'a', { steps: 10, ownCache: true });
    const cut = cliUnderFileSizeLimit(2, CLI, ['cache-teacher', '--config', r.config], ROOT);
    assert.equal(cut.status, 2, cut.stderr);
    assert.match(cut.stderr, /error: \S+\/part-[^/\s]+\.arrow: file too large .*\(EFBIG\) while writing teacher-cache part/);
    const cacheRoot = path.join(base.dir, 'cache-a');
    const dir = path.join(cacheRoot, fs.readdirSync(cacheRoot)[0]);
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f !== 'teacher.json'), [], 'no part, no temporary');
    const again = spawnSync('node', [CLI, 'cache-teacher', '--config', r.config, '--json'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    const s = JSON.parse(again.stdout);
    assert.equal(s.computed, s.sentences);
  });

  test('(b) metrics.jsonl append: the first error is the one reported, the log ends at a whole line, --resume succeeds', async () => {
    const { config, runDir } = tinyRunVariant(base, 'b', { steps: 20 });
    // After the step-10 checkpoint, room for 40 more bytes: the step-15 line is cut off part-way.
    const cut = trainUntilFileLimit(config, 12, `fs.statSync(path.join(runDir, 'metrics.jsonl')).size + 40`);
    assert.equal(cut.error?.exitCode, 2, JSON.stringify(cut));
    assert.equal(cut.error?.code, 'EFBIG');
    assert.equal(cut.error?.path, path.join(runDir, 'metrics.jsonl'));
    assert.match(cut.error!.message, /metrics\.jsonl: file too large .* while writing metrics log entry/);
    // The failed run's report needs more room than there is: a warning, not the error.
    assert.ok(cut.lines.some((l) => /^warning: after the run failed, could not write \S+report\.html: .*EFBIG/.test(l)), cut.lines.join('\n'));
    assert.deepEqual(leftovers(runDir), []);
    assert.deepEqual(metricSteps(runDir), [5, 10]);
    const lines: string[] = [];
    const s = await trainRun(loadConfig(config), { resume: runDir, quiet: true, log: (l) => lines.push(l) });
    assert.equal(s.steps, 20);
    assert.deepEqual(metricSteps(runDir), [5, 10, 15, 20]);
    assert.deepEqual(leftovers(runDir), []);
  });

  test('(c) checkpoint: exit 2 naming the file and "checkpoint", no partial checkpoint, resume from the previous one', async () => {
    const { config, runDir } = tinyRunVariant(base, 'c', { steps: 20 });
    // 100 KiB: metrics, the report and best/ (about 94 KB of weights) fit; the optimizer slots (about 190 KB) do not.
    const cut = trainUntilFileLimit(config, 12, `100 * 1024`);
    assert.equal(cut.error?.exitCode, 2, JSON.stringify(cut));
    assert.equal(cut.error?.path, path.join(runDir, 'checkpoints', 'step-0000020', 'optimizer.safetensors'));
    assert.match(cut.error!.message, /optimizer\.safetensors: file too large .* while writing checkpoint$/);
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')), ['step-0000010']);
    assert.deepEqual(leftovers(runDir), []);
    const lines: string[] = [];
    const s = await trainRun(loadConfig(config), { resume: runDir, quiet: true, log: (l) => lines.push(l) });
    assert.ok(lines.some((l) => /resuming from .*step-0000010: step 10/.test(l)), lines.join('\n'));
    assert.equal(s.steps, 20);
    assert.deepEqual(metricSteps(runDir), [5, 10, 15, 20]);
  });

  test('(d) export: exit 2 naming the file and the export, no partial folder, the rerun exports', () => {
    const r = base;
    const out = path.join(r.dir, 'export');
    const cut = cliUnderFileSizeLimit(16, CLI, ['export', '--model', r.teacher, '--out', out, '--format', 'onnx'], ROOT);
    assert.equal(cut.status, 2, cut.stderr);
    assert.match(cut.stderr, /error: \S+\/export\/\S+: file too large .*\(EFBIG\) while writing onnx export/);
    assert.ok(!fs.existsSync(out));
    assert.deepEqual(leftovers(r.dir), []);
    const again = spawnSync('node', [CLI, 'export', '--model', r.teacher, '--out', out, '--format', 'onnx'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.ok(fs.statSync(path.join(out, 'onnx', 'model.onnx')).size > 16 * 1024);
  });
});
