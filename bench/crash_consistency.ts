/**
 * bench:crash - crash consistency of `distill train`: an uninterrupted tiny
 * run, then the same config SIGKILLed at N seeded random moments and resumed
 * with `--resume` after each kill until it finishes; the final weights
 * (1e-5) and eval history must equal the uninterrupted run's.
 *
 * Moments are drawn from four kinds: a random delay after the process
 * starts (start-up, data preparation, any step), the appearance of a
 * `.tmp-` folder in checkpoints/ (mid-checkpoint), of a temporary in the run
 * folder (mid-best/, mid-rewrite of metrics.jsonl, the config or the
 * report), and a growth of metrics.jsonl (right after an append). A run
 * that finishes before N kills landed is compared, and another killed run
 * starts in a fresh folder until all N kills are done.
 *
 *   node dist/bench/crash_consistency.js [--kills 30] [--seed 1] [--steps 100]
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { listCheckpoints } from '../src/distill/checkpoint';
import { readSafetensors } from '../src/model/safetensors';
import { Rng } from '../src/util/rng';
import { tinyRun } from '../test/helpers/tiny_run';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
type Moment = 'delay' | 'checkpoint' | 'temp' | 'append';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer, got ${process.argv[i + 1]}`);
  return v;
}

interface Attempt {
  code: number | null;
  signal: string | null;
  stderr: string;
  killedAt?: string;
}

/** Runs `distill train`; when `moment` is given, SIGKILLs it there (unless it ends first). */
function runTrain(args: string[], runDir: string, moment: { kind: Moment; delayMs: number; nth: number } | null): Promise<Attempt> {
  const child = spawn('node', [CLI, 'train', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const attempt: Attempt = { code: null, signal: null, stderr };
  const stopWatching = moment ? killAt(child, runDir, moment, (what) => (attempt.killedAt = what)) : () => {};
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    stopWatching();
    resolve({ ...attempt, code, signal, stderr });
  }));
}

/** Arms the kill; returns a function that disarms it. */
function killAt(child: ChildProcess, runDir: string, m: { kind: Moment; delayMs: number; nth: number }, killed: (what: string) => void): () => void {
  const t0 = Date.now();
  const kill = (what: string) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGKILL');
    killed(`${what} after ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  };
  if (m.kind === 'delay') {
    const t = setTimeout(() => kill('random delay'), m.delayMs);
    return () => clearTimeout(t);
  }
  // fs.watch (inotify) sees a temporary the moment it is created; the poll arms it once the folder exists.
  const metrics = path.join(runDir, 'metrics.jsonl');
  let seen = 0;
  let lastSize = fs.existsSync(metrics) ? fs.statSync(metrics).size : 0;
  const watchers = new Map<string, fs.FSWatcher>();
  const onEvent = (dir: string) => (_: string, name: string | null) => {
    const watched = m.kind === 'checkpoint' ? dir !== runDir : m.kind === 'temp' && dir === runDir;
    if (watched && name?.includes('.tmp-') && ++seen === m.nth) kill(`temporary ${path.join(path.relative(runDir, dir), name)} appeared`);
    if (m.kind === 'append' && name === 'metrics.jsonl') {
      const size = fs.existsSync(metrics) ? fs.statSync(metrics).size : 0;
      if (size > lastSize && ++seen === m.nth) kill(`metrics.jsonl grew to ${size} bytes`);
      lastSize = size;
    }
  };
  const poll = setInterval(() => {
    for (const dir of [runDir, path.join(runDir, 'checkpoints')]) {
      if (!watchers.has(dir) && fs.existsSync(dir)) watchers.set(dir, fs.watch(dir, onEvent(dir)));
    }
  }, 2);
  return () => {
    clearInterval(poll);
    for (const w of watchers.values()) w.close();
  };
}

function lastLine(stderr: string): string {
  return stderr.trim().split('\n').filter((l) => !l.startsWith('train [')).pop() ?? '(no output)';
}

function finalState(runDir: string) {
  const ckpt = listCheckpoints(runDir).pop()!;
  const evals = JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).evals as Array<Record<string, number>>;
  const logged = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, number>);
  return { weights: readSafetensors(path.join(ckpt, 'model.safetensors')), evals, loggedEvals: logged.filter((e) => e.eval_spearman !== undefined) };
}

function newestStep(runDir: string): number | null {
  const c = listCheckpoints(runDir).pop();
  return c ? Number(path.basename(c).slice(5)) : null;
}

interface Round {
  runDir: string;
  kills: number;
  restarts: number;
  midWrite: number;
  finished: boolean;
  worst: number;
  evalsEqual: boolean;
  loggedEqual: boolean;
  leftovers: string[];
}

interface Plan {
  cfg: (dir: string) => string[];
  refDir: string;
  rng: Rng;
  delayMs: number;
  failed: Array<{ attempt: number; args: string; error: string }>;
}

const KINDS: Moment[] = ['delay', 'checkpoint', 'temp', 'append'];
// The nth event to kill at: checkpoints come every 10 steps and appends every 5, so few of them.
const NTH: Record<Moment, number> = { delay: 1, checkpoint: 1, temp: 4, append: 2 };

/** One killed run in a fresh folder: kills until `budget` are done or the run finishes, then compares it with the reference. */
async function killedRound(plan: Plan, runDir: string, budget: number, attemptBase: number): Promise<Round & { attempts: number }> {
  const left = new Set<string>();
  let kills = 0, restarts = 0, attempts = 0, midWrite = 0, failing = 0, finished = false, fresh = false;
  while (!finished && failing < 3) {
    const args = fs.existsSync(path.join(runDir, 'config.resolved.json')) && !fresh ? ['--resume', runDir] : plan.cfg(runDir);
    if (attempts > 0 && fresh) restarts++;
    fresh = false;
    const kind = KINDS[Math.floor(plan.rng.next() * KINDS.length)];
    const moment = kills < budget ? { kind, delayMs: Math.round(plan.rng.next() * plan.delayMs), nth: 1 + Math.floor(plan.rng.next() * NTH[kind]) } : null;
    const a = await runTrain(args, runDir, moment);
    attempts++;
    // `--resume` on a run killed before its first checkpoint starts it again from step 0 itself.
    if (/starting it again from step 0/.test(a.stderr)) restarts++;
    if (a.killedAt) {
      kills++;
      failing = 0;
      const temps = [runDir, path.join(runDir, 'checkpoints')].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d) : []).filter((f) => f.includes('.tmp-') && !left.has(f)));
      if (temps.length) midWrite++;
      temps.forEach((t) => left.add(t));
      console.log(`kill ${attemptBase + kills} (${moment!.kind}): ${a.killedAt}; newest checkpoint: step ${newestStep(runDir) ?? 'none'}${temps.length ? `; left ${temps.join(', ')}` : ''}`);
    } else if (a.code === 0) {
      finished = true;
    } else if (/no checkpoint to resume from/.test(a.stderr)) {
      fresh = true;
    } else {
      plan.failed.push({ attempt: attempts, args: args.join(' '), error: lastLine(a.stderr) });
      console.log(`attempt ${attempts} (${args.join(' ')}) failed (exit ${a.code ?? a.signal}): ${lastLine(a.stderr)}`);
      failing++;
    }
  }
  let worst = Infinity, evalsEqual = false, loggedEqual = false;
  if (finished) {
    const a = finalState(plan.refDir), b = finalState(runDir);
    worst = 0;
    for (const [k, t] of a.weights) {
      const u = b.weights.get(k)!.data;
      for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - u[i]));
    }
    evalsEqual = JSON.stringify(a.evals) === JSON.stringify(b.evals);
    const strip = (es: Array<Record<string, number>>) => JSON.stringify(es.map(({ time: _t, ...e }) => e));
    loggedEqual = strip(a.loggedEvals) === strip(b.loggedEvals);
    if (!loggedEqual) console.log(`eval steps in metrics.jsonl: uninterrupted ${a.loggedEvals.map((e) => e.step).join(',')}; killed and resumed ${b.loggedEvals.map((e) => e.step).join(',')}`);
  }
  const leftovers = [runDir, path.join(runDir, 'checkpoints')].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d) : []).filter((f) => /\.(tmp|old)-/.test(f)));
  console.log(`round ${runDir}: ${kills} kills in ${attempts} attempts, ${finished ? `finished; max weight difference ${worst.toExponential(2)}, eval history ${evalsEqual && loggedEqual ? 'identical' : 'DIFFERENT'}` : 'never finished'}; ${leftovers.length} temporaries left`);
  return { runDir, kills, restarts, midWrite, finished, worst, evalsEqual, loggedEqual, leftovers, attempts };
}

/**
 * Kills land at random moments, so a run may finish before all N have
 * happened; then another killed run starts in a fresh folder, until N kills
 * are done. Every round must end equal to the uninterrupted run.
 */
async function main() {
  const kills = flag('kills', 30);
  const seed = flag('seed', 1);
  const steps = flag('steps', 100);
  const r = tinyRun({ steps, every: 10 });
  const refDir = path.join(r.dir, 'reference');
  const cfg = (dir: string) => ['--config', r.config, '--set', `output_dir=${dir}`];
  console.log(`crash consistency: tiny 2-layer student, ${steps} steps, eval and checkpoint every 10; ${kills} SIGKILLs (seed ${seed}); folder ${r.dir}`);
  const t0 = Date.now();
  const ref = await runTrain(cfg(refDir), refDir, null);
  if (ref.code !== 0) throw new Error(`the uninterrupted run failed: ${ref.stderr}`);
  const refSeconds = (Date.now() - t0) / 1000;
  console.log(`uninterrupted run: ${refSeconds.toFixed(1)} s`);
  // Start-up (loading TensorFlow and the models, data, the step-0 evaluation) is about a third of the short run.
  // A delay covers start-up and about steps / kills steps (half that on average).
  const startupMs = refSeconds * 1000 * 0.35;
  const stepMs = (refSeconds * 1000 - startupMs) / steps;
  const plan: Plan = { cfg, refDir, rng: new Rng(seed), delayMs: startupMs + stepMs * Math.max(1, steps / Math.max(1, kills)), failed: [] };
  const rounds: Round[] = [];
  let done = 0, attempts = 0;
  while (done < kills) {
    const round = await killedRound(plan, path.join(r.dir, `killed-${rounds.length + 1}`), kills - done, done);
    rounds.push(round);
    done += round.kills;
    attempts += round.attempts;
    if (!round.finished || round.kills === 0) break;
  }
  const sum = (f: (x: Round) => number) => rounds.reduce((n, x) => n + f(x), 0);
  const finished = rounds.every((x) => x.finished);
  const worst = Math.max(...rounds.map((x) => x.worst));
  const evalsEqual = rounds.every((x) => x.evalsEqual), loggedEqual = rounds.every((x) => x.loggedEqual);
  const leftovers = rounds.flatMap((x) => x.leftovers);
  const ok = finished && done >= kills && worst <= 1e-5 && evalsEqual && loggedEqual && !plan.failed.length && !leftovers.length;
  console.log(`kills done: ${done} of ${kills} over ${rounds.length} killed run(s) (${sum((x) => x.midWrite)} left a temporary behind, i.e. landed mid-write); attempts: ${attempts}; fresh restarts (killed before the first checkpoint): ${sum((x) => x.restarts)}`);
  console.log(`resumes that failed: ${plan.failed.length}${plan.failed.map((f) => `\n  attempt ${f.attempt} (${f.args}): ${f.error}`).join('')}`);
  if (finished) {
    console.log(`final weights vs uninterrupted, worst round: max abs difference ${worst.toExponential(2)} (limit 1e-5)`);
    console.log(`eval history (summary.json): ${evalsEqual ? 'identical' : 'DIFFERENT'}; eval entries in metrics.jsonl: ${loggedEqual ? 'identical' : 'DIFFERENT (repeated or missing steps)'}`);
  } else console.log('a killed run never finished: resuming failed repeatedly');
  console.log(`temporaries left in the run folders: ${leftovers.length}${leftovers.length ? ` (${leftovers.join(', ')})` : ''}`);
  console.log(`result: ${ok ? 'PASS' : 'FAIL'}`);
  console.log(JSON.stringify({ benchmark: 'crash_consistency', kills: done, planned: kills, rounds: rounds.length, seed, steps, attempts, restarts: sum((x) => x.restarts), mid_write: sum((x) => x.midWrite), failed_resumes: plan.failed, finished, max_weight_diff: finished ? worst : null, eval_history_equal: evalsEqual, metrics_evals_equal: loggedEqual, leftovers: leftovers.length, result: ok ? 'pass' : 'fail' }));
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
