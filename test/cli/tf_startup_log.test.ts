import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT, runPython, tmpDir } from '../helpers/env';
import { TF_LINES, VLOG } from '../helpers/tf_log_lines';

function distill(args: string[], env: Record<string, string> = {}): { stdout: string; stderr: string } {
  const base = { ...process.env };
  for (const k of ['TF_CPP_MIN_LOG_LEVEL', 'TF_CPP_MAX_VLOG_LEVEL', 'TF_CPP_VMODULE']) delete base[k];
  const p = spawnSync('node', [CLI, ...args, '--backend', 'tensorflow'], { cwd: ROOT, encoding: 'utf8', env: { ...base, ...env }, maxBuffer: 1 << 26 });
  assert.equal(p.status, 0, `distill ${args.join(' ')}: ${p.stderr.slice(-2000)}`);
  return p;
}

const tfLogging = (stdout: string) => /^tf logging +(.*)$/m.exec(stdout)?.[1];

describe("TensorFlow's start-up log lines only with --verbose", () => {
  let model: string;
  let input: string;
  before(() => {
    const dir = tmpDir();
    model = path.join(dir, 'tiny');
    runPython('make_tiny_bert.py', ['--out', model, '--seed', '3']);
    input = path.join(dir, 'in.txt');
    fs.writeFileSync(input, 'w1 w2 w3\nw4 w5\n');
  });

  test('doctor: quiet by default, and prints the effective setting', () => {
    for (const env of [{}, VLOG]) {
      const p = distill(['doctor'], env);
      assert.doesNotMatch(p.stderr, TF_LINES, JSON.stringify(env));
      assert.equal(tfLogging(p.stdout), 'TF_CPP_MIN_LOG_LEVEL=2 (quiet default: errors only; --verbose shows all)');
    }
  });

  test('doctor --verbose: the lines appear', () => {
    const p = distill(['doctor', '--verbose'], VLOG);
    assert.match(p.stderr, TF_LINES);
    assert.equal(tfLogging(p.stdout), 'TF_CPP_MIN_LOG_LEVEL=0 (--verbose: TensorFlow default, all lines)');
  });

  test("the user's own TF_CPP_MIN_LOG_LEVEL wins; a blank one counts as unset", () => {
    const own = distill(['doctor'], { ...VLOG, TF_CPP_MIN_LOG_LEVEL: '0' });
    assert.match(own.stderr, TF_LINES);
    assert.equal(tfLogging(own.stdout), 'TF_CPP_MIN_LOG_LEVEL=0 (from the environment)');
    const blank = distill(['doctor'], { ...VLOG, TF_CPP_MIN_LOG_LEVEL: '' });
    assert.doesNotMatch(blank.stderr, TF_LINES);
    assert.match(tfLogging(blank.stdout) ?? '', /=2 \(quiet default/);
  });

  test('encode loads a model and runs it: quiet by default, the lines with --verbose', () => {
    const quiet = distill(['encode', '--model', model, '--input', input], VLOG);
    assert.doesNotMatch(quiet.stderr, TF_LINES);
    assert.equal(quiet.stdout.trim().split('\n').length, 2 + 2, 'two summary lines and two embeddings');
    const verbose = distill(['encode', '--model', model, '--input', input, '--verbose'], VLOG);
    assert.match(verbose.stderr, TF_LINES);
  });
});
