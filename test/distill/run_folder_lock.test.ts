import { before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, ROOT } from '../helpers/env';
import { tinyRun } from '../helpers/tiny_run';

function cli(args: string[]) {
  return spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
}

function start(args: string[]): { child: ChildProcess; done: Promise<{ status: number | null; stderr: string }> } {
  const child = spawn('node', [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ status: number | null; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stderr })));
  return { child, done };
}

function loggedSteps(runDir: string): number[] {
  return fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined).map((m) => m.step);
}

/** A pid that was just used and is free now (its process has exited). */
function deadPid(): number {
  const p = spawnSync('node', ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(p.stdout);
}

/** Waits until `file` exists, then SIGKILLs the child; fails if the child ends first. */
async function killWhen(child: ChildProcess, ready: () => boolean): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      if (ready()) {
        clearInterval(t);
        child.kill('SIGKILL');
        resolve();
      }
    }, 20);
    child.on('exit', () => (clearInterval(t), reject(new Error('run finished before it could be killed'))));
  });
  await new Promise((r) => child.on('close', r));
}

describe('run folder: one run at a time, no mixed state', () => {
  before(() => {
    assert.ok(fs.existsSync(CLI), 'build first (npx tsc)');
  });

  test('two trains on one output_dir 0.3 s apart: one is refused, the other finishes with intact files', async () => {
    const r = tinyRun({ steps: 40, every: 20 });
    const runDir = path.join(r.dir, 'run');
    // checkpoint.every=0: no checkpoint until the end, so today's "folder holds checkpoints" check cannot see the first run.
    const a = start(['train', '--config', r.config, '--set', 'seed=1', '--set', 'checkpoint.every=0']);
    await new Promise((res) => setTimeout(res, 300));
    const b = start(['train', '--config', r.config, '--set', 'seed=2', '--set', 'checkpoint.every=0']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    const statuses = [ra.status, rb.status].sort();
    assert.deepEqual(statuses, [0, 2], `exit codes ${ra.status} and ${rb.status}\nA: ${ra.stderr}\nB: ${rb.stderr}`);
    const [winner, loser, seed] = ra.status === 0 ? [ra, rb, 1] : [rb, ra, 2];
    assert.match(loser.stderr, /run folder is in use by process \d+ .*since \d{4}-\d\d-\d\dT|output folder already holds a run/, loser.stderr);
    assert.doesNotMatch(loser.stderr, /at .*\.js:\d+/, 'a one-line user error, no stack');
    assert.match(winner.stderr, /step 40/);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'config.resolved.json'), 'utf8')).seed, seed, "config.resolved.json is the finished run's");
    const steps = loggedSteps(runDir);
    assert.deepEqual(steps, [...new Set(steps)].sort((x, y) => x - y), 'each step logged once');
    assert.equal(steps[steps.length - 1], 40);
    assert.deepEqual(fs.readdirSync(path.join(runDir, 'checkpoints')), ['step-0000040']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')).steps, 40);
    assert.ok(!fs.existsSync(path.join(runDir, 'run.lock')), 'the lock is released at the end');
    // The folder now holds a finished run: it resumes cleanly (nothing mixed in by the refused run).
    const p = cli(['train', '--resume', runDir]);
    assert.equal(p.status, 0, p.stderr);
  });

  test('a folder holding part of a run is refused for a new run unless --force-new, which clears it first', () => {
    const r = tinyRun({ steps: 20, every: 10 });
    const runDir = path.join(r.dir, 'run');
    // The non-finite guard stops the run before its first step checkpoint (checkpoint.every=0): metrics, config and best/ are left.
    let p = cli(['train', '--config', r.config, '--set', 'train.lr=1e30', '--set', 'train.warmup_ratio=0', '--set', 'checkpoint.every=0']);
    assert.equal(p.status, 2, p.stderr);
    assert.ok(fs.existsSync(path.join(runDir, 'config.resolved.json')));
    assert.ok(!fs.existsSync(path.join(runDir, 'checkpoints')), 'no checkpoint was written');
    assert.ok(!fs.existsSync(path.join(runDir, 'run.lock')), 'the lock is released on the error path');
    p = cli(['train', '--config', r.config]);
    assert.equal(p.status, 2, p.stderr);
    assert.match(p.stderr, /output folder already holds a run \(.*config\.resolved\.json.*\); resume it with --resume .*--force-new/);
    p = cli(['train', '--config', r.config, '--force-new']);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /--force-new: removed the previous run's .*config\.resolved\.json/);
    assert.deepEqual(loggedSteps(runDir), [5, 10, 15, 20], 'no metrics of the dead run are left');
    assert.equal(JSON.parse(fs.readFileSync(path.join(runDir, 'config.resolved.json'), 'utf8')).train.lr, 0.001);
  });

  test('--resume on a run that died before its first checkpoint starts it again from step 0', async () => {
    const r = tinyRun({ steps: 60, every: 10 });
    const runDir = path.join(r.dir, 'run');
    const a = start(['train', '--config', r.config, '--set', 'checkpoint.every=0']);
    await killWhen(a.child, () => fs.existsSync(path.join(runDir, 'metrics.jsonl')) && loggedSteps(runDir).length >= 2);
    assert.ok(!fs.existsSync(path.join(runDir, 'checkpoints')));
    const p = cli(['train', '--resume', runDir]);
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stderr, /no step checkpoint .*starting it again from step 0; dropped its metrics\.jsonl \(\d+ lines?\)/);
    const steps = loggedSteps(runDir);
    assert.deepEqual(steps, [...new Set(steps)].sort((x, y) => x - y), 'each step logged once');
    assert.equal(steps[steps.length - 1], 60);
    assert.ok(!fs.existsSync(path.join(runDir, 'run.lock')));
  });

  test('--resume given a checkpoint or best/ names the run folder; output_dir that is a file is a clear error', () => {
    const r = tinyRun({ steps: 10, every: 10 });
    const runDir = path.join(r.dir, 'run');
    assert.equal(cli(['train', '--config', r.config]).status, 0);
    for (const inner of [path.join(runDir, 'checkpoints', 'step-0000010'), path.join(runDir, 'best'), path.join(runDir, 'checkpoints')]) {
      const p = cli(['train', '--resume', inner]);
      assert.equal(p.status, 2, p.stderr);
      assert.ok(p.stderr.includes(`pass the run folder: --resume ${runDir}`), p.stderr);
    }
    const file = path.join(r.dir, 'a-file');
    fs.writeFileSync(file, 'x');
    const p = cli(['train', '--config', r.config, '--set', `output_dir=${file}`]);
    assert.equal(p.status, 2, p.stderr);
    assert.ok(p.stderr.includes(`${file}: output_dir is a file, expected a run folder`), p.stderr);
  });

  test('leftover temporaries of dead writers are removed at the next start and by export; a live writer\'s are kept', () => {
    const r = tinyRun({ steps: 10, every: 10 });
    const runDir = path.join(r.dir, 'run');
    assert.equal(cli(['train', '--config', r.config]).status, 0);
    const dead = deadPid();
    const ck = path.join(runDir, 'checkpoints');
    const leftovers = [
      path.join(ck, `step-0000020.tmp-${dead}-0badf00d`),
      path.join(runDir, `best.old-${dead}-12345678`),
      path.join(runDir, `best.tmp-${dead}-9abcdef0`),
    ];
    for (const d of leftovers) {
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'model.safetensors'), Buffer.alloc(1000));
    }
    const report = path.join(runDir, `report.html.tmp-${dead}-aaaabbbb`);
    fs.writeFileSync(report, '');
    const live = path.join(ck, `step-0000030.tmp-${process.pid}-ccccdddd`);
    fs.mkdirSync(live);
    let p = cli(['train', '--resume', runDir]);
    assert.equal(p.status, 0, p.stderr);
    for (const f of [...leftovers, report]) {
      assert.ok(!fs.existsSync(f), `${f} removed`);
      assert.ok(p.stderr.includes(f), `stderr names ${f}:\n${p.stderr}`);
    }
    assert.match(p.stderr, new RegExp(`removed leftovers of interrupted writes by process ${dead}`));
    assert.ok(fs.existsSync(live), "a live process's temporary is kept");
    // export cleans its output's parent folder.
    const outParent = path.join(r.dir, 'exports');
    fs.mkdirSync(outParent);
    const stale = path.join(outParent, `st.tmp-${dead}-01234567`);
    fs.mkdirSync(stale);
    p = cli(['export', '--model', path.join(runDir, 'best'), '--format', 'sentence-transformers', '--out', path.join(outParent, 'st')]);
    assert.equal(p.status, 0, p.stderr);
    assert.ok(!fs.existsSync(stale), 'export removed the dead export temporary');
    assert.ok(p.stdout.includes(stale) || p.stderr.includes(stale), `export names what it removed:\n${p.stdout}\n${p.stderr}`);
  });
});
