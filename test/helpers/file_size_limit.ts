import { spawnSync } from 'child_process';
import * as path from 'path';

const DIST_SRC = path.resolve(__dirname, '..', '..', 'src');

/**
 * Runs `body` (JavaScript, with `fs`, `path` and `req(modulePathUnderDistSrc)` in
 * scope) in a child whose file-size limit is 1 KiB (`ulimit -f 1`): any write
 * past it fails part-way with EFBIG (Node ignores SIGXFSZ). This works as root,
 * where a read-only folder does not. Prints the error's code and path as JSON.
 */
export function underFileSizeLimit(body: string): { status: number | null; error: { code?: string; path?: string } | null; stderr: string } {
  const script = `const fs = require('fs'); const path = require('path'); const req = (m) => require(path.join(${JSON.stringify(DIST_SRC)}, m));
(async () => { ${body}; })().then(() => console.log('null'), (e) => console.log(JSON.stringify({ code: e.code, path: e.path, message: e.message })));`;
  const r = spawnSync('bash', ['-c', 'ulimit -f 1 && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return { status: r.status, error: last ? JSON.parse(last) : null, stderr: r.stderr };
}
