import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { MetricsLog } from '../../src/distill/metrics_log';
import { DistillError } from '../../src/util/errors';
import { tmpDir } from '../helpers/env';
import { underFileSizeLimit } from '../helpers/file_size_limit';

const line = (step: number) => JSON.stringify({ step, loss: 0.5, time: 1 }) + '\n';

function logWith(text: string): { log: MetricsLog; warnings: string[] } {
  const file = path.join(tmpDir(), 'metrics.jsonl');
  fs.writeFileSync(file, text);
  const warnings: string[] = [];
  return { log: new MetricsLog(file, (m) => warnings.push(m)), warnings };
}

describe('metrics.jsonl: an append-only log', () => {
  test('a torn last line (a kill or full disk mid-append) is dropped on read and on resume, with a message naming it', () => {
    const { log, warnings } = logWith(line(1) + line(2) + '{"step":3,"lo');
    assert.deepEqual(log.read().map((e) => e.step), [1, 2]);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /metrics\.jsonl: dropped torn last line 3 \(13 bytes without a newline/);
    log.truncateAfter(2);
    assert.equal(fs.readFileSync(log.file, 'utf8'), line(1) + line(2));
  });

  test('power-cut garbage (NUL bytes) after the last line is a torn line too', () => {
    const { log, warnings } = logWith(line(1) + '\0'.repeat(300));
    assert.deepEqual(log.read().map((e) => e.step), [1]);
    assert.match(warnings[0], /dropped torn last line 2 \(300 bytes/);
  });

  test('a corrupt line in the middle is an error naming the file and line', () => {
    const { log } = logWith(line(1) + '{"step": 2, oops}\n' + line(3));
    assert.throws(() => log.read(), (e: Error) => e instanceof DistillError && /metrics\.jsonl: line 2 is not valid JSON/.test(e.message));
    assert.throws(() => log.truncateAfter(3), /line 2 is not valid JSON/);
  });

  test('the first append of a process cuts a torn tail off instead of gluing a new line onto it', () => {
    const { log, warnings } = logWith(line(1) + '{"step":2,"lo');
    log.append({ step: 2, loss: 0.25 });
    assert.deepEqual(log.read().map((e) => e.step), [1, 2]);
    assert.match(warnings[0], /dropped torn last line 2/);
  });

  test('an append cut off part-way (EFBIG) names the file and leaves the log ending at the previous whole line', () => {
    const file = path.join(tmpDir(), 'metrics.jsonl');
    // 1000 of the 1024 bytes the child may write: the next line does not fit.
    fs.writeFileSync(file, JSON.stringify({ step: 1, pad: 'x'.repeat(1000 - 22) }) + '\n');
    const before = fs.readFileSync(file, 'utf8');
    const r = underFileSizeLimit(`new (req('distill/metrics_log').MetricsLog)(${JSON.stringify(file)}).append({ step: 2, loss: 0.123456789, lr: 0.001 })`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([r.error?.code, r.error?.path], ['EFBIG', file]);
    assert.equal(fs.readFileSync(file, 'utf8'), before, 'the part of the line that fitted was cut off again');
  });
});
