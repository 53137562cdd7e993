import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
export const TEACHER_DIR = path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2');
export const DATA = path.join(ROOT, 'data');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** The second environment (py/requirements-onnx.txt): sentence-transformers 5 with optimum-onnx for its ONNX backend. */
export const PYTHON_ONNX = path.join(ROOT, '.venv-onnx', 'bin', 'python');

/** Runs a reference script in the project's Python environment; a missing venv is a failure, not a skip. */
export function runPython(script: string, args: string[]): string {
  return runPythonIn(PYTHON, script, args);
}

/** Runs a script under .venv-onnx (sentence-transformers' ONNX backend); missing, it fails like runPython. */
export function runPythonOnnx(script: string, args: string[]): string {
  return runPythonIn(PYTHON_ONNX, script, args);
}

function runPythonIn(python: string, script: string, args: string[]): string {
  if (!fs.existsSync(python)) throw new Error(`${python} missing: run "npm run setup" (the tests need the Python references)`);
  return execFileSync(python, [path.join(ROOT, 'py', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
}

/**
 * A fresh temp folder, removed when this test process exits, failed tests
 * included: without it every CI run left ~3 GB in /tmp (the package test's
 * install alone is 640 MB) until the disk filled. DISTILL_KEEP_TMP=1 keeps
 * them for a post-mortem.
 */
export function tmpDir(prefix = 'distill-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  TMP_DIRS.push(dir);
  return dir;
}

// One exit listener for the process's every tmpDir (one each would trip Node's listener warning).
const TMP_DIRS: string[] = [];
if (process.env.DISTILL_KEEP_TMP !== '1') process.once('exit', () => TMP_DIRS.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
