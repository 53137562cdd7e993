import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');
export const TEACHER_DIR = path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2');
export const DATA = path.join(ROOT, 'data');
export const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');

/** Runs a reference script in the project's Python environment; a missing venv is a failure, not a skip. */
export function runPython(script: string, args: string[]): string {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run "npm run setup" (the tests need the PyTorch reference)`);
  return execFileSync(PYTHON, [path.join(ROOT, 'py', script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 1 << 28,
  });
}

export function tmpDir(prefix = 'distill-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}
