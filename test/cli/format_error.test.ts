import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { formatError } from '../../src/cli/format_error';
import { runCommand } from '../../src/cli/output';
import { saveCheckpoint } from '../../src/distill/checkpoint';
import { SentenceModel } from '../../src/model/sentence_model';
import { DistillError } from '../../src/util/errors';
import { tmpDir } from '../helpers/env';

const osError = (code: string, p?: string) =>
  Object.assign(new Error(`${code}: some OS words, write`), { code, errno: -1, syscall: 'write', ...(p ? { path: p } : {}) });

describe('formatError: whose fault, and how much to show', () => {
  test('bad input: exit 2, one line, no stack', () => {
    const f = formatError(new DistillError('key "train.lr" must be a number, got "fast"', 'cfg.yaml'));
    assert.deepEqual({ code: f.exitCode, kind: f.kind }, { code: 2, kind: 'input' });
    assert.equal(f.text, 'cfg.yaml: key "train.lr" must be a number, got "fast"');
  });

  test('ENOSPC, EACCES, EFBIG: exit 2, one line naming the file and the errno', () => {
    const f = formatError(osError('ENOSPC', 'checkpoints/x/metrics.jsonl'));
    assert.equal(f.exitCode, 2);
    assert.equal(f.text, 'checkpoints/x/metrics.jsonl: no space left on device (ENOSPC)');
    assert.equal(formatError(osError('EACCES', '/ro/out.arrow')).text, '/ro/out.arrow: permission denied (EACCES)');
    assert.match(formatError(osError('EFBIG', 'o.jsonl')).text, /^o\.jsonl: file too large .*\(EFBIG\)$/);
    assert.equal(formatError(osError('EDQUOT')).text, 'disk quota exceeded (EDQUOT) in write');
  });

  test('a TypeError, or an OS error no user can fix, is a bug: exit 1 with its stack', () => {
    let bug: unknown;
    try {
      (undefined as unknown as { x: number }).x;
    } catch (e) {
      bug = e;
    }
    const f = formatError(bug);
    assert.deepEqual({ code: f.exitCode, kind: f.kind }, { code: 1, kind: 'internal' });
    assert.match(f.text, /^TypeError: .*\n\s+at /);
    assert.equal(formatError(osError('EBADF', 'x')).exitCode, 1);
  });

  test('DISTILL_DEBUG shows a user error\'s stack and its cause', () => {
    const f = formatError(new DistillError('invalid JSON', 'a.json', { cause: new SyntaxError('Unexpected token') }), true);
    assert.match(f.text, /DistillError: a\.json: invalid JSON\n\s+at [\s\S]*caused by: SyntaxError: Unexpected token/);
  });
});

describe('a bug inside the library stays a bug', () => {
  test('saveCheckpoint with a broken model throws the TypeError itself (was: a DistillError "cannot write checkpoint"), and writes nothing', () => {
    const root = tmpDir();
    const dir = path.join(root, 'step-1');
    const broken = { dir: root, weights: new Map(), pooling: { modes: ['mean'], dimension: 4 } } as unknown as SentenceModel;
    assert.throws(() => saveCheckpoint(dir, broken, {} as never, new Map(), new Map()), (e: Error) => e instanceof TypeError && !(e instanceof DistillError));
    assert.deepEqual(fs.readdirSync(root), []);
  });

  test('runCommand prints the stack of a bug and sets exit code 1; a user error gets one line and 2', async () => {
    const written: string[] = [];
    const write = process.stderr.write;
    const saved = process.exitCode;
    process.stderr.write = ((s: string) => (written.push(s), true)) as typeof process.stderr.write;
    try {
      await runCommand(async () => {
        throw new TypeError('cannot read properties of undefined');
      })({});
      assert.equal(process.exitCode, 1);
      await runCommand(async () => {
        throw osError('ENOSPC', 'run/summary.json');
      })({});
      assert.equal(process.exitCode, 2);
    } finally {
      process.stderr.write = write;
      process.exitCode = saved;
    }
    assert.match(written[0], /^error: TypeError: cannot read properties of undefined\n\s+at /);
    assert.equal(written[1], 'error: run/summary.json: no space left on device (ENOSPC)\n');
  });
});
