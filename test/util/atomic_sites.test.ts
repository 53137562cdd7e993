import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { tmpDir } from '../helpers/env';
import { underFileSizeLimit } from '../helpers/file_size_limit';

/**
 * Every writer of a file a later run trusts goes through util/atomic_write:
 * a write cut off part-way (EFBIG under `ulimit -f 1`) keeps the old file,
 * leaves no temporary, and fails with an OS error naming the target.
 */
function checkCutOff(file: string, call: string, old = 'old') {
  fs.writeFileSync(file, old);
  const r = underFileSizeLimit(call);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.error?.code, 'EFBIG', JSON.stringify(r.error));
  assert.equal(r.error?.path, file);
  assert.equal(fs.readFileSync(file, 'utf8'), old);
  assert.deepEqual(fs.readdirSync(path.dirname(file)).filter((f) => f.includes('.tmp-')), []);
}

describe('writers keep the old file when a write fails part-way', () => {
  test('html report', () => {
    const file = path.join(tmpDir(), 'report.html');
    checkCutOff(file, `req('tracking/html_report').writeReport(${JSON.stringify(file)}, 'x'.repeat(5000), [], null)`);
  });

  test('embeddings as JSONL and Arrow', () => {
    const dir = tmpDir();
    for (const ext of ['.jsonl', '.arrow']) {
      const file = path.join(dir, `emb${ext}`);
      checkCutOff(file, `req('data/write_embeddings').writeEmbeddings(${JSON.stringify(file)}, Array(200).fill('s'), new Float32Array(200 * 8), 8)`);
    }
  });

  test('teacher cache part', () => {
    const file = path.join(tmpDir(), 'part-0.arrow');
    checkCutOff(file, `req('teacher/embedding_table').writeEmbeddingTable(${JSON.stringify(file)}, { keys: Array.from({ length: 200 }, (_, i) => 'k' + i), embeddings: new Float32Array(200 * 8), dim: 8, metadata: {} })`);
  });

  test('metrics log truncation on resume', () => {
    const file = path.join(tmpDir(), 'metrics.jsonl');
    const lines = Array.from({ length: 100 }, (_, i) => JSON.stringify({ step: i, loss: 1.2345678 })).join('\n') + '\n';
    checkCutOff(file, `new (req('distill/metrics_log').MetricsLog)(${JSON.stringify(file)}).truncateAfter(1e9)`, lines);
  });
});
