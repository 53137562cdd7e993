import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { CLI, ROOT } from '../helpers/env';
import { tinyRun, tinyRunVariant } from '../helpers/tiny_run';
import { cacheRows, differingKeys } from '../helpers/cache_rows';
import { readEmbeddingTable, writeEmbeddingTable } from '../../src/teacher/embedding_table';
import { selectBackend } from '../../src/backend/select_backend';
import { loadConfig } from '../../src/config/parse_config';
import { cacheTeacher } from '../../src/pipelines/cache_teacher';

const K8S_SPEC = path.join(ROOT, 'jobs', 'k8s-cache-teacher.yaml');
const SLURM_SPEC = path.join(ROOT, 'jobs', 'slurm-cache-teacher.sbatch');

interface Done {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a task: this process's, less any scheduler variables
 * it runs under itself, plus the task's. On tfjs-node, whose CPU kernels
 * round a row differently with other batch mates: every process takes whole
 * batches of one teacher plan (teacher_plan.ts), which the bit-for-bit
 * comparison checks.
 */
function taskEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(SLURM_|AWS_BATCH_|JOB_COMPLETION_INDEX$)/.test(k)));
  return { ...env, DISTILL_BACKEND: 'tensorflow', ...vars };
}

function start(argv: string[], vars: Record<string, string>): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env: taskEnv(vars) });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Done>((resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })));
  return { child, done };
}

const run = (argv: string[], vars: Record<string, string> = {}) => start(argv, vars).done;

/** The shipped manifest's Indexed Job and merge Job: completions and each container's command, with our config in place of its --config. */
function k8sSpec(config: string): { completions: number; parallelism: number; shard: string[]; merge: string[] } {
  const docs = parseAllDocuments(fs.readFileSync(K8S_SPEC, 'utf8')).map((d) => d.toJS());
  assert.ok(docs.some((d) => d.kind === 'PersistentVolumeClaim' && d.spec.accessModes.includes('ReadWriteMany')), 'a ReadWriteMany claim for the shared cache');
  const jobs = docs.filter((d) => d.kind === 'Job');
  const indexed = jobs.find((j) => j.spec.completionMode === 'Indexed');
  const merge = jobs.find((j) => j !== indexed);
  assert.ok(indexed && merge, 'an Indexed Job and a merge Job');
  const command = (job: { spec: { template: { spec: { containers: Array<{ command: string[]; workingDir: string; volumeMounts: Array<{ mountPath: string }> }> } } } }) => {
    const c = job.spec.template.spec.containers[0];
    assert.equal(c.workingDir, '/app', 'the repository is the working directory');
    assert.ok(c.volumeMounts.some((m) => m.mountPath === '/shared'), 'the shared volume is mounted');
    const cmd = [...c.command];
    const at = cmd.indexOf('--config');
    assert.ok(at > 0 && cmd[at + 1].startsWith('/shared/'), `the config is on the shared volume: ${cmd.join(' ')}`);
    cmd[at + 1] = config;
    return cmd;
  };
  return { completions: indexed.spec.completions, parallelism: indexed.spec.parallelism, shard: command(indexed), merge: command(merge) };
}

/** The sbatch script's array range, SHARDS, and that it submits the merge with afterok on the array. */
function slurmSpec(): { min: number; max: number; shards: number } {
  const text = fs.readFileSync(SLURM_SPEC, 'utf8');
  const array = /^#SBATCH --array=(\d+)-(\d+)\s/m.exec(text);
  const shards = /^SHARDS=(\d+)\s/m.exec(text);
  assert.ok(array && shards, 'an #SBATCH --array=MIN-MAX line and SHARDS=N');
  assert.match(text, /sbatch --parsable --dependency=afterok:"\$array" .*\\\n\s+.*--wrap "DISTILL_MERGE=1 bash \$0"/, 'the merge is submitted after the whole array succeeds');
  return { min: Number(array[1]), max: Number(array[2]), shards: Number(shards[1]) };
}

function assertSameCache(root: string, reference: Map<string, Buffer>, what: string): void {
  const { rows, shards } = cacheRows(root);
  assert.deepEqual(shards, [], `${what}: the merge removed the shard files`);
  assert.equal(rows.size, reference.size, `${what}: same number of rows`);
  const differ = differingKeys(rows, reference).length;
  assert.equal(differ, 0, `${what}: ${differ} of ${reference.size} rows missing or not bit-identical`);
}

/** "cache-teacher: shard 1/3 from the Kubernetes Indexed Job: ..." from each task, in task order. */
function picked(d: Done[]): string[] {
  return d.map((r) => /cache-teacher: shard (\d+\/\d+) from the ([A-Za-z ]+):/.exec(r.stderr)?.slice(1, 3).join(' ') ?? r.stderr);
}

describe('teacher cache precompute on cluster schedulers, with the shipped job specs', () => {
  test('3 concurrent Kubernetes and then Slurm tasks plus merge give the single-process cache bit for bit; a killed task is recomputed, never trusted', async () => {
    const base = tinyRun({ steps: 1, sentences: 360 });
    const ref = await run(['node', CLI, 'cache-teacher', '--config', base.config]);
    assert.equal(ref.status, 0, ref.stderr);
    const reference = cacheRows(path.join(base.dir, 'cache')).rows;
    assert.ok(reference.size > 340, `${reference.size} distinct sentences`);

    // Kubernetes: JOB_COMPLETION_INDEX per pod (and the pod hostname as HOSTNAME), the count from the manifest's --shards.
    const k8s = tinyRunVariant(base, 'k8s', { steps: 1, ownCache: true });
    const spec = k8sSpec(k8s.config);
    assert.equal(spec.completions, 3, 'the shipped manifest runs 3 shards');
    assert.equal(spec.shard[spec.shard.indexOf('--shards') + 1], String(spec.completions), '--shards equals .spec.completions');
    assert.equal(spec.merge[spec.merge.indexOf('--merge') + 1], String(spec.completions), '--merge equals .spec.completions');
    const pods = await Promise.all([0, 1, 2].map((i) => run(spec.shard, { JOB_COMPLETION_INDEX: String(i), HOSTNAME: `distill-cache-teacher-${i}` })));
    pods.forEach((p) => assert.equal(p.status, 0, p.stderr));
    assert.deepEqual(picked(pods), ['0/3 Kubernetes Indexed Job', '1/3 Kubernetes Indexed Job', '2/3 Kubernetes Indexed Job']);
    const merged = await run(spec.merge);
    assert.equal(merged.status, 0, merged.stderr);
    assertSameCache(path.join(base.dir, 'cache-k8s'), reference, 'Kubernetes');
    assert.match(merged.stdout, /prepared dataset for distill train: \S+ \(\d+ rows\)/, 'the merge also prepares the dataset train reads');
    // Running the merge again is fine and changes nothing.
    const again = await run(spec.merge);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /merged 3 shards: 0 rows added \(3 shards were merged before\)/);
    assertSameCache(path.join(base.dir, 'cache-k8s'), reference, 'Kubernetes, merged twice');

    // Slurm: the sbatch script itself, as the array's tasks, with the variables Slurm sets in each.
    const slurm = tinyRunVariant(base, 'slurm', { steps: 1, ownCache: true });
    const { min, max, shards } = slurmSpec();
    assert.equal(max - min + 1, shards, '#SBATCH --array has SHARDS tasks');
    const ids = Array.from({ length: shards }, (_, i) => min + i);
    const slurmVars = (id: number) => ({
      CONFIG: slurm.config, SLURM_JOB_ID: String(5000 + id), SLURM_ARRAY_JOB_ID: '5000', SLURM_ARRAY_TASK_ID: String(id),
      SLURM_ARRAY_TASK_COUNT: String(shards), SLURM_ARRAY_TASK_MIN: String(min), SLURM_ARRAY_TASK_MAX: String(max), SLURM_ARRAY_TASK_STEP: '1', SLURM_SUBMIT_DIR: ROOT,
    });
    // Task 1 is killed (SIGKILL) while it encodes; the others finish.
    const tasks = ids.map((id) => start(['bash', SLURM_SPEC], slurmVars(id)));
    await new Promise<void>((resolve) => tasks[1].child.stderr!.on('data', (d: Buffer) => /teacher \[/.test(d.toString()) && resolve()));
    tasks[1].child.kill('SIGKILL');
    const ends = await Promise.all(tasks.map((t) => t.done));
    assert.equal(ends[1].signal, 'SIGKILL');
    for (const i of [0, 2]) assert.equal(ends[i].status, 0, ends[i].stderr);
    assert.deepEqual(picked([ends[0], ends[2]]), ['0/3 Slurm job array', '2/3 Slurm job array']);
    const teacherDir = path.join(base.dir, 'cache-slurm', fs.readdirSync(path.join(base.dir, 'cache-slurm'))[0]);
    assert.ok(!fs.existsSync(path.join(teacherDir, 'shard-00001-of-00003.arrow')), 'the killed task left no shard file');
    const refused = await run(['bash', SLURM_SPEC], { CONFIG: slurm.config, DISTILL_MERGE: '1' });
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /cannot merge: shard\(s\) 1 of 3 are missing/);
    // The rerun (scontrol requeue) takes over the lock the killed attempt left and computes the shard.
    const rerun = await run(['bash', SLURM_SPEC], slurmVars(ids[1]));
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.match(rerun.stderr, /taking over the teacher cache shard 1\/3 lock/);
    assert.match(rerun.stdout, /teacher embeddings for shard 1\/3: (\d+) sentences, 0 already cached, \1 computed/);
    const slurmMerge = await run(['bash', SLURM_SPEC], { CONFIG: slurm.config, DISTILL_MERGE: '1' });
    assert.equal(slurmMerge.status, 0, slurmMerge.stderr);
    assertSameCache(path.join(base.dir, 'cache-slurm'), reference, 'Slurm');
  });

  test('merge refuses shards of another shard count, another teacher or another dataset, naming the file; the task recomputes them', async () => {
    await selectBackend('tensorflow');
    const r = tinyRun({ steps: 1, sentences: 120 });
    // Batches of 8: 120 sentences make 15, enough for every shard of 3 to own some.
    const cfg = loadConfig(r.config, ['teacher.batch_size=8']);
    const quiet = { quiet: true, log: () => {} };
    const [s0, s1] = [await cacheTeacher(cfg, { shard: { index: 0, count: 2 }, ...quiet }), await cacheTeacher(cfg, { shard: { index: 1, count: 2 }, ...quiet })];
    const dir = s0.cacheDir;
    const file = (i: number, n: number) => path.join(dir, `shard-0000${i}-of-0000${n}.arrow`);
    assert.equal(s0.shardFile, file(0, 2));
    // --merge 3 over shards computed for 2: it names the files of the other count.
    await assert.rejects(cacheTeacher(cfg, { merge: 3, ...quiet }),
      /cannot merge: shard\(s\) 0, 1, 2 of 3 are missing .*the folder holds shards of another count: shard-00000-of-00002.arrow, shard-00001-of-00002.arrow/);
    // The same files renamed to look like shards of 3: their metadata says otherwise.
    for (const i of [0, 1]) fs.copyFileSync(file(i, 2), file(i, 3));
    fs.copyFileSync(file(1, 2), file(2, 3));
    await assert.rejects(cacheTeacher(cfg, { merge: 3, ...quiet }), (e: Error) => e.message === `${file(0, 3)}: shard was computed as shard 0/2, expected 0/3; recompute it: rerun cache-teacher --shard 0/3 (array task 0), which replaces it`);
    // Correct metadata, but rows of another shard count.
    const t = readEmbeddingTable(file(0, 2));
    writeEmbeddingTable(file(0, 3), { ...t, metadata: { ...t.metadata, shard: '0', of: '3' } });
    await assert.rejects(cacheTeacher(cfg, { merge: 3, ...quiet }), new RegExp(`^DistillError: ${file(0, 3)}: shard holds sentence [0-9a-f]{32}, which the batch plan gives to shard [12]/3, not 0/3`));
    // Another teacher.batch_size plans other batches: refused before its keys are looked at.
    writeEmbeddingTable(file(0, 3), { ...t, metadata: { ...t.metadata, shard: '0', of: '3', batch_size: '7' } });
    await assert.rejects(cacheTeacher(cfg, { merge: 3, ...quiet }), new RegExp(`^DistillError: ${file(0, 3)}: shard was computed in teacher batches of 7, this config's teacher.batch_size is ${cfg.teacher.batch_size}`));
    for (const i of [0, 1, 2]) fs.rmSync(file(i, 3));
    // Another teacher's shard, then a shard missing rows (another dataset).
    const good1 = readEmbeddingTable(file(1, 2));
    writeEmbeddingTable(file(1, 2), { ...good1, metadata: { ...good1.metadata, fingerprint: 'another-teacher' } });
    await assert.rejects(cacheTeacher(cfg, { merge: 2, ...quiet }), new RegExp(`^DistillError: ${file(1, 2)}: shard was computed by teacher another-teacher \\(dim \\d+\\), this config's teacher is ${s0.fingerprint}`));
    writeEmbeddingTable(file(1, 2), { ...good1, keys: good1.keys.slice(1), embeddings: good1.embeddings.subarray(good1.dim) });
    await assert.rejects(cacheTeacher(cfg, { merge: 2, ...quiet }), new RegExp(`^DistillError: ${file(1, 2)}: shard 1/2 lacks 1 of its ${s1.sentences} sentences`));
    // Rerunning the task replaces the bad shard, saying why; then the merge takes it.
    const lines: string[] = [];
    const redo = await cacheTeacher(cfg, { shard: { index: 1, count: 2 }, quiet: true, log: (l) => lines.push(l) });
    assert.equal(redo.computed, s1.sentences);
    assert.match(lines.join('\n'), /shard 1\/2 lacks 1 of its \d+ sentences .*; recomputing it/);
    const m = await cacheTeacher(cfg, { merge: 2, ...quiet });
    assert.equal(m.added, s0.sentences + s1.sentences);
    assert.equal(m.cached, s0.sentences + s1.sentences);
  });
});
