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

/** Runs the CLI with `args` in a child whose file-size limit is `kib` KiB. */
export function cliUnderFileSizeLimit(kib: number, cli: string, args: string[], cwd: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, cli, ...args], { cwd, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Trains `config` (library trainRun) in a child that, after optimizer step
 * `atStep`, lowers its own file-size limit to `bytesExpr` bytes (a JavaScript
 * expression, evaluated then, with `fs` and `runDir` in scope) with prlimit(1):
 * the next write past it fails part-way with EFBIG, as a disk filling up
 * mid-run would. Returns the error as the CLI would report it, and the run's log.
 */
export function trainUntilFileLimit(config: string, atStep: number, bytesExpr: string): { error: { exitCode: number; message: string; code?: string; path?: string } | null; lines: string[]; stderr: string } {
  const body = `
const { execFileSync } = require('child_process');
await req('backend/select_backend').selectBackend('tensorflow');
const cfg = req('config/parse_config').loadConfig(${JSON.stringify(config)});
const runDir = cfg.output_dir;
const lines = [];
const limit = (n) => execFileSync('prlimit', ['--pid', String(process.pid), '--fsize=' + n + ':']);
let error = null;
try {
  await req('pipelines/train_run').trainRun(cfg, { quiet: true, log: (l) => lines.push(l), callbacks: [{ onStep: (e) => { if (e.step === ${atStep}) limit(${bytesExpr}); } }] });
} catch (e) {
  const f = req('cli/format_error').formatError(e);
  error = { exitCode: f.exitCode, message: f.message, code: e.code, path: e.path };
}
console.log(JSON.stringify({ error, lines }));`;
  const script = `const fs = require('fs'); const path = require('path'); const req = (m) => require(path.join(${JSON.stringify(DIST_SRC)}, m));
(async () => { ${body} })().catch((e) => { console.error(e); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !last.startsWith('{')) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return { ...JSON.parse(last), stderr: r.stderr };
}
