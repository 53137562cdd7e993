import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileLock, LockHolder } from '../../src/util/file_lock';
import { DistillError } from '../../src/util/errors';
import { describeLeftovers, removeLeftoverTemps } from '../../src/util/leftover_temps';
import { tmpDir } from '../helpers/env';

const LOCK_JS = path.resolve(__dirname, '..', '..', 'src', 'util', 'file_lock.js');

/** A child process running `body` with `FileLock` and `file` in scope; resolves once it printed "ready". */
function child(file: string, body: string) {
  const p = spawn('node', ['-e', `const { FileLock } = require(${JSON.stringify(LOCK_JS)}); const file = ${JSON.stringify(file)}; ${body}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  const ready = new Promise<void>((resolve, reject) => {
    p.stdout.on('data', () => out.includes('ready') && resolve());
    p.on('exit', (code) => (out.includes('ready') ? undefined : reject(new Error(`child exited ${code} before ready: ${out}`))));
  });
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  return { p, ready, exited, out: () => out };
}

function deadPid(): number {
  return Number(spawnSync('node', ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

function holder(pid: number, extra: Partial<LockHolder> = {}): string {
  return JSON.stringify({ pid, hostname: os.hostname(), started: '2026-01-02T03:04:05.000Z', command: 'distill train --config old.yaml', ...extra });
}

describe('FileLock', () => {
  test('holds {pid, hostname, started, command} while taken, and is gone after release', () => {
    const file = path.join(tmpDir(), 'run.lock');
    const lock = FileLock.acquire(file, { what: 'run folder' });
    const h = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(h.pid, process.pid);
    assert.equal(h.hostname, os.hostname());
    assert.ok(Math.abs(Date.parse(h.started) - Date.now()) < 5000);
    assert.equal(typeof h.command, 'string');
    // This very process holds it: a second acquire is refused, not taken over.
    assert.throws(() => FileLock.acquire(file, { what: 'run folder' }), /in use by process/);
    lock.release();
    lock.release();
    assert.ok(!fs.existsSync(file));
    FileLock.acquire(file, { what: 'run folder' }).release();
  });

  test('a live holder is named with its pid and since when; a dead one is taken over with a message', async () => {
    const dir = tmpDir();
    const file = path.join(dir, 'run.lock');
    const c = child(file, "FileLock.acquire(file, { what: 'run folder' }); console.log('ready'); setInterval(() => {}, 1000);");
    await c.ready;
    const since = JSON.parse(fs.readFileSync(file, 'utf8')).started;
    assert.throws(() => FileLock.acquire(file, { what: 'run folder', where: dir }), (e: Error) => {
      assert.ok(e instanceof DistillError);
      assert.ok(e.message.startsWith(`${dir}: run folder is in use by process ${c.p.pid} since ${since}`), e.message);
      assert.ok(e.message.includes(file), 'says which file to delete if the holder is gone');
      return true;
    });
    const got = FileLock.tryAcquire(file, { what: 'run folder' });
    assert.ok(!(got instanceof FileLock) && got.pid === c.p.pid);
    c.p.kill('SIGKILL');
    await c.exited;
    assert.ok(fs.existsSync(file), 'SIGKILL leaves the lock file');
    const lines: string[] = [];
    const lock = FileLock.acquire(file, { what: 'run folder', where: dir, log: (l) => lines.push(l) });
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^${dir}: taking over the run folder lock of process ${c.p.pid} \\(since ${since}, .*\\), which is no longer running$`));
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).pid, process.pid);
    lock.release();
  });

  test('released when the holder throws or exits without releasing', async () => {
    const file = path.join(tmpDir(), 'x.lock');
    const thrower = child(file, "FileLock.acquire(file, { what: 'x' }); console.log('ready'); setTimeout(() => { throw new Error('boom'); }, 50);");
    await thrower.ready;
    assert.equal(await thrower.exited, 1);
    assert.ok(!fs.existsSync(file), 'an uncaught error frees the lock');
    const exiter = child(file, "FileLock.acquire(file, { what: 'x' }); console.log('ready'); setTimeout(() => process.exit(3), 50);");
    await exiter.ready;
    assert.equal(await exiter.exited, 3);
    assert.ok(!fs.existsSync(file), 'process.exit frees the lock');
  });

  test('stale forms: an unreadable old lock file, our own pid from before this process started; another host is never judged dead', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'a.lock');
    fs.writeFileSync(file, '');
    fs.utimesSync(file, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    let lines: string[] = [];
    FileLock.acquire(file, { what: 'x', log: (l) => lines.push(l) }).release();
    assert.match(lines[0], /taking over the x lock of a process that died while taking it/);
    fs.writeFileSync(file, holder(process.pid));
    lines = [];
    FileLock.acquire(file, { what: 'x', log: (l) => lines.push(l) }).release();
    assert.match(lines[0], new RegExp(`process ${process.pid} .*an earlier process with this process's pid`));
    fs.writeFileSync(file, holder(deadPid(), { hostname: 'elsewhere' }));
    assert.throws(() => FileLock.acquire(file, { what: 'x' }), /in use by process \d+ on elsewhere since 2026-01-02T03:04:05\.000Z \(distill train --config old\.yaml\).*cannot check another host/);
  });

  test('a lock another host took as the same scheduler task is an earlier attempt of it: taken over; another task\'s is not', () => {
    const file = path.join(tmpDir(), 'shard.lock');
    fs.writeFileSync(file, holder(4242, { hostname: 'node-07', task: 'slurm 5000_1' }));
    // Another task (or none) cannot judge a process on node-07.
    assert.throws(() => FileLock.acquire(file, { what: 'shard 1/3', task: 'slurm 5000_2' }), /in use by process 4242 on node-07/);
    assert.throws(() => FileLock.acquire(file, { what: 'shard 1/3' }), /in use by process 4242 on node-07/);
    // Slurm runs one attempt of task 5000_1 at a time: a requeued attempt on node-12 takes over.
    const lines: string[] = [];
    const lock = FileLock.acquire(file, { what: 'shard 1/3', task: 'slurm 5000_1', log: (l) => lines.push(l) });
    assert.match(lines[0], /taking over the shard 1\/3 lock of process 4242 on node-07 \(since 2026-01-02T03:04:05\.000Z\), an earlier attempt of scheduler task slurm 5000_1/);
    assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).task, 'slurm 5000_1', 'the new holder records its task');
    lock.release();
  });

  test('processes racing to take over one stale lock: exactly one gets it', async () => {
    const file = path.join(tmpDir(), 'race.lock');
    fs.writeFileSync(file, holder(deadPid()));
    const racers = Array.from({ length: 4 }, () => child(file, "const r = FileLock.tryAcquire(file, { what: 'x' }); console.log(r instanceof FileLock ? 'got ready' : 'held ready'); setTimeout(() => process.exit(0), 1500);"));
    await Promise.all(racers.map((r) => r.exited));
    const got = racers.filter((r) => r.out().includes('got')).length;
    assert.equal(got, 1, racers.map((r) => r.out()).join(' | '));
  });

  test('acquireWhenFree waits for a live holder to release, telling who it waits for', async () => {
    const file = path.join(tmpDir(), 'w.lock');
    const c = child(file, "const l = FileLock.acquire(file, { what: 'x' }); console.log('ready'); setTimeout(() => l.release(), 700); setTimeout(() => {}, 1500);");
    await c.ready;
    const waited: number[] = [];
    const t0 = Date.now();
    const lock = await FileLock.acquireWhenFree(file, { what: 'x', pollMs: 50, onWait: (h) => waited.push(h.pid) });
    assert.deepEqual(waited, [c.p.pid]);
    assert.ok(Date.now() - t0 >= 300, 'it waited');
    lock.release();
    await c.exited;
  });
});

describe('removeLeftoverTemps', () => {
  test("removes a dead writer's *.tmp-PID-* and *.old-PID-* entries, keeps a live writer's and other names", () => {
    const dir = tmpDir();
    const dead = deadPid();
    const gone = [`step-0000010.tmp-${dead}-0123abcd`, `best.old-${dead}-89abcdef`, `report.html.tmp-${dead}-deadbeef`];
    fs.mkdirSync(path.join(dir, gone[0]));
    fs.writeFileSync(path.join(dir, gone[0], 'model.safetensors'), Buffer.alloc(2_000_000));
    fs.mkdirSync(path.join(dir, gone[1]));
    fs.writeFileSync(path.join(dir, gone[2]), '');
    const kept = [`best.tmp-${process.pid}-0123abcd`, 'notes.tmp-old', 'metrics.jsonl', `x.tmp-${dead}-short`];
    for (const k of kept) fs.writeFileSync(path.join(dir, k), '');
    const removed = removeLeftoverTemps(dir);
    assert.deepEqual(removed.map((r) => path.basename(r.path)).sort(), [...gone].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), [...kept].sort());
    const lines = describeLeftovers(removed);
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^removed leftovers of interrupted writes by process ${dead} \\(no longer running\\): `));
    assert.ok(lines[0].includes(`${path.join(dir, gone[0])} (2.0 MB)`), lines[0]);
    assert.deepEqual(removeLeftoverTemps(path.join(dir, 'absent')), []);
  });
});
