import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { applyTfLogLevel } from '../../src/backend/tf_log_level';
import { ROOT } from '../helpers/env';
import { TF_LINES, VLOG } from '../helpers/tf_log_lines';

/** stderr of a fresh process that calls selectBackend('tensorflow', options) with TensorFlow's VLOG(1) lines on. */
function selectBackendStderr(options: string, env: Record<string, string> = {}): string {
  const base = { ...process.env };
  for (const k of ['TF_CPP_MIN_LOG_LEVEL', 'TF_CPP_MAX_VLOG_LEVEL']) delete base[k];
  const lib = path.join(ROOT, 'dist', 'src', 'backend', 'select_backend.js');
  const script = `require(${JSON.stringify(lib)}).selectBackend('tensorflow', ${options}).then((b) => console.log(JSON.stringify(b.tfLogLevel)))`;
  const p = spawnSync('node', ['-e', script], { encoding: 'utf8', env: { ...base, ...VLOG, ...env } });
  assert.equal(p.status, 0, p.stderr);
  return p.stderr;
}

describe('TensorFlow log level', () => {
  test('quiet unless verbose; the user environment wins; a blank value is unset', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.deepEqual(applyTfLogLevel(false, env), { minLogLevel: '2', source: 'quiet' });
    assert.equal(env.TF_CPP_MIN_LOG_LEVEL, '2');
    const mine: NodeJS.ProcessEnv = { TF_CPP_MIN_LOG_LEVEL: '1' };
    assert.deepEqual(applyTfLogLevel(true, mine), { minLogLevel: '1', source: 'environment' });
    assert.deepEqual(applyTfLogLevel(false, mine), { minLogLevel: '1', source: 'environment' });
    assert.equal(mine.TF_CPP_MIN_LOG_LEVEL, '1');
    const blank: NodeJS.ProcessEnv = { TF_CPP_MIN_LOG_LEVEL: ' ' };
    assert.deepEqual(applyTfLogLevel(true, blank), { minLogLevel: '0', source: 'verbose' });
    assert.equal(blank.TF_CPP_MIN_LOG_LEVEL, undefined);
  });

  test('library callers of selectBackend get the quiet default, and the lines with { verbose: true }', () => {
    assert.doesNotMatch(selectBackendStderr('{}'), TF_LINES);
    assert.match(selectBackendStderr('{ verbose: true }'), TF_LINES);
    assert.match(selectBackendStderr('{}', { TF_CPP_MIN_LOG_LEVEL: '0' }), TF_LINES);
  });
});
