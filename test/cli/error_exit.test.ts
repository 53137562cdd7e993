import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT, runPython, tmpDir } from '../helpers/env';

/**
 * The built CLI, spawned: bad input and OS conditions a user can fix exit 2
 * with one line naming the file; no stack. (Tests run as root, where a chmod'd
 * read-only folder does not fail, so the OS errors used are ENOTDIR, an output
 * path under a regular file, and EFBIG, the file-size limit of `ulimit -f 1`.)
 */
function cli(args: string[], ulimitF?: number) {
  const cmd = ulimitF === undefined ? [process.execPath, CLI, ...args] : ['bash', '-c', `ulimit -f ${ulimitF} && exec "$@"`, 'sh', process.execPath, CLI, ...args];
  const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', cwd: ROOT });
  const errorLines = r.stderr.split('\n').filter((l) => l.startsWith('error: ') || /^\s+at /.test(l));
  return { status: r.status, stderr: r.stderr, errorLines };
}

function assertOneLineUserError(r: ReturnType<typeof cli>, ...parts: string[]) {
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.errorLines.length, 1, `one error line, no stack:\n${r.stderr}`);
  for (const p of parts) assert.ok(r.errorLines[0].includes(p), `"${r.errorLines[0]}" lacks "${p}"`);
}

describe('CLI exit codes and error lines', () => {
  let tiny: string;
  let input: string;
  before(() => {
    const dir = tmpDir();
    tiny = path.join(dir, 'tiny');
    runPython('make_tiny_bert.py', ['--out', tiny, '--seed', '5']);
    input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, Array.from({ length: 20 }, (_, i) => `w${i} w${i + 1} w${i + 2}`).join('\n') + '\n');
  });

  test('a bad config value: exit 2, one line naming the file and the key', () => {
    const file = path.join(tmpDir(), 'bad.yaml');
    fs.writeFileSync(file, fs.readFileSync(path.join(ROOT, 'configs', 'quickstart.yaml'), 'utf8').replace('lr: 1.0e-4', 'lr: fast'));
    assertOneLineUserError(cli(['train', '--config', file]), file, 'train.lr', '"fast"');
  });

  test('an output path under a regular file (ENOTDIR): exit 2 naming the output and the errno', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'afile'), '');
    const out = path.join(dir, 'afile', 'emb.jsonl');
    assertOneLineUserError(cli(['encode', '--model', tiny, '--input', input, '--output', out]), `error: ${out}: `, '(ENOTDIR)');
  });

  test('a write cut off by the file-size limit (EFBIG): exit 2 naming the output; the old file is kept, no temp left', () => {
    const dir = tmpDir();
    const out = path.join(dir, 'emb.jsonl');
    fs.writeFileSync(out, 'previous\n');
    assertOneLineUserError(cli(['encode', '--model', tiny, '--input', input, '--output', out, '--force'], 1), `error: ${out}: file too large`, '(EFBIG)');
    assert.equal(fs.readFileSync(out, 'utf8'), 'previous\n');
    assert.deepEqual(fs.readdirSync(dir), ['emb.jsonl']);
  });

  test('export into a folder under a regular file: exit 2, no stack', () => {
    const dir = tmpDir();
    fs.writeFileSync(path.join(dir, 'afile'), '');
    assertOneLineUserError(cli(['export', '--model', tiny, '--format', 'sentence-transformers', '--out', path.join(dir, 'afile', 'out')]), path.join(dir, 'afile'), '(EEXIST)');
  });
});
