import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { StopSignalName } from '../distill/stop_signal';
import { readFinishedSummary, VariantRunner } from '../pipelines/sweep_run';
import { TrainingStopped } from '../pipelines/training_stopped';
import { DistillError } from '../util/errors';

export interface ChildRunnerOptions {
  /** The CLI's entry script (this process's own). */
  cli: string;
  configFile: string;
  sets: string[];
  backend?: string;
  verbose?: boolean;
  log: (line: string) => void;
}

export interface ChildRunner {
  run: VariantRunner;
  /** Passes a signal on to every variant still running (each stops after its step, with a checkpoint). */
  signalAll(signal: StopSignalName): void;
}

/**
 * `--parallel N`: each variant is `distill sweep-variant` in a child process,
 * given the base config, the sweep's --set values and the variant's values
 * as --set (JSON is YAML), so no config holding a tracking password is ever
 * written for it. The child's log lines come back prefixed with its id.
 */
export function childProcessRunner(o: ChildRunnerOptions): ChildRunner {
  const live = new Set<ChildProcess>();
  const run: VariantRunner = (r) => new Promise((resolve, reject) => {
    const v = r.variant;
    const sets = [...o.sets, ...Object.entries(v.values).map(([k, x]) => `${k}=${JSON.stringify(x)}`), `name=${JSON.stringify(v.config.name)}`, `output_dir=${JSON.stringify(v.runDir)}`];
    const args = [o.cli, 'sweep-variant', '--config', o.configFile, ...sets.flatMap((s) => ['--set', s]), ...Object.entries(r.tags).flatMap(([k, x]) => ['--tag', `${k}=${x}`]),
      ...(r.resume ? ['--resume', v.runDir] : []), ...(r.forceNew ? ['--force-new'] : []), ...(o.backend ? ['--backend', o.backend] : []), ...(o.verbose ? ['--verbose'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let lastError = '';
    let buf = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        if (l.startsWith('error: ')) lastError = l.slice(7);
        o.log(`[${v.id}] ${l}`);
      }
    });
    child.on('error', (e) => (live.delete(child), reject(e)));
    child.on('exit', (code, signal) => {
      live.delete(child);
      if (buf) o.log(`[${v.id}] ${buf}`);
      const sig = signal === 'SIGINT' || code === 130 ? 'SIGINT' : signal === 'SIGTERM' || code === 143 ? 'SIGTERM' : null;
      if (code === 0) {
        const s = readFinishedSummary(v.runDir);
        if (s) resolve(s);
        else reject(new Error(`the variant's process ended without a complete ${path.join(v.runDir, 'summary.json')}`));
      } else if (sig) reject(new TrainingStopped(sig, `variant ${v.id} stopped by ${sig}`, v.runDir, null, null));
      else if (code === 2) reject(new DistillError(lastError || 'failed (exit 2)'));
      else reject(new Error(`the variant's process ended with ${signal ?? `exit code ${code}`}${lastError ? `: ${lastError}` : ''}`));
    });
  });
  return { run, signalAll: (sig) => live.forEach((c) => c.kill(sig)) };
}
