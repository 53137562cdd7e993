import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { listCheckpoints } from '../../src/distill/checkpoint';
import { readSafetensors } from '../../src/model/safetensors';
import { CLI, ROOT } from './env';
import { maxAbsDiff } from './compare';

/** The CLI run to completion; status and output for the assertions. `env` is added to this process's. */
export function cli(args: string[], env: Record<string, string> = {}) {
  return spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

export function finalWeights(runDir: string) {
  return readSafetensors(path.join(listCheckpoints(runDir).pop()!, 'model.safetensors'));
}

export function evals(runDir: string) {
  return JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).evals as { step: number; spearman: number }[];
}

/** Starts `distill train --config`, SIGKILLs it as soon as `file` exists, and waits for it to exit. `env` is added to this process's. */
export async function killTrainWhen(config: string, file: string, env: Record<string, string> = {}): Promise<void> {
  const child = spawn('node', [CLI, 'train', '--config', config], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env } });
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (fs.existsSync(file)) {
        clearInterval(t);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => (clearInterval(t), reject(new Error('run finished before it could be killed'))));
  });
  await new Promise((r) => child.on('exit', r));
}

/** A resumed run ends as the uninterrupted one: weights within 1e-5, the same eval steps, Spearman within 1e-6. */
export function assertSameEnd(reference: string, resumed: string, evalCount: number): void {
  const wa = finalWeights(reference);
  const wb = finalWeights(resumed);
  let worst = 0;
  for (const [k, t] of wa) worst = Math.max(worst, maxAbsDiff(t.data, wb.get(k)!.data));
  assert.ok(worst <= 1e-5, `max abs weight difference ${worst}`);
  const ea = evals(reference);
  const eb = evals(resumed);
  assert.equal(ea.length, evalCount);
  assert.deepEqual(eb.map((e) => e.step), ea.map((e) => e.step));
  eb.forEach((e, i) => assert.ok(Math.abs(e.spearman - ea[i].spearman) <= 1e-6, `eval at step ${e.step}: ${e.spearman} vs ${ea[i].spearman}`));
}
