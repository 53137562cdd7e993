import { DistillError } from '../util/errors';

export type Env = Record<string, string | undefined>;

/** A shard picked from a scheduler's environment, with what it was read from (for the log line). */
export interface SchedulerShard {
  index: number;
  count: number;
  scheduler: string;
  /** "JOB_COMPLETION_INDEX=2, --shards 3". */
  from: string;
  /** The task's identity, stable across its retries, when the scheduler gives one ("slurm 4242_3"); see FileLock's `task`. */
  task?: string;
}

/** How one scheduler tells an array task which task it is. */
interface SchedulerSource {
  title: string;
  /** Set in every task the scheduler starts, and only there: its presence picks this scheduler. */
  indexVar: string;
  /** Index and count; `shards` is `--shards N` when given. */
  read(env: Env, shards: number | undefined): { index: number; count: number; from: string; task?: string };
}

/** A variable that must hold a non-negative integer. */
function intVar(env: Env, name: string, what: string): number {
  const v = env[name]!;
  if (!/^\d+$/.test(v.trim())) throw new DistillError(`value "${v}" is not a non-negative integer (expected ${what})`, name);
  return Number(v.trim());
}

/** The task count from the scheduler's own variable and/or --shards, which must agree when both are given. */
function countOf(env: Env, countVar: string | undefined, shards: number | undefined, missing: string): { count: number; from: string } {
  const fromEnv = countVar && env[countVar] !== undefined ? intVar(env, countVar, 'the number of array tasks') : undefined;
  if (fromEnv !== undefined && shards !== undefined && fromEnv !== shards) {
    throw new DistillError(`${countVar}=${fromEnv} but --shards ${shards}: the array and --shards must agree (or leave --shards out)`, countVar);
  }
  const count = fromEnv ?? shards;
  if (count === undefined) throw new DistillError(missing, countVar ?? '--shards');
  if (count < 1) throw new DistillError(`shard count ${count}: expected at least 1`, fromEnv !== undefined ? countVar : '--shards');
  return { count, from: fromEnv !== undefined ? `${countVar}=${fromEnv}` : `--shards ${shards}` };
}

/**
 * Kubernetes sets only the index in a pod of an Indexed Job; `.spec.completions`
 * is not visible inside the pod (the downward API does not expose Job fields),
 * so the count comes from `--shards N` in the manifest's command.
 */
const kubernetes: SchedulerSource = {
  title: 'Kubernetes Indexed Job',
  indexVar: 'JOB_COMPLETION_INDEX',
  read(env, shards) {
    const index = intVar(env, 'JOB_COMPLETION_INDEX', 'the completion index of a Kubernetes Indexed Job');
    const c = countOf(env, undefined, shards, `JOB_COMPLETION_INDEX=${index} is set (Kubernetes Indexed Job) but the shard count is not: pass --shards N with N = the Job's .spec.completions`);
    return { index, count: c.count, from: `JOB_COMPLETION_INDEX=${index}, ${c.from}` };
  },
};

/**
 * Slurm task ids run MIN..MAX by STEP (`--array=1-7:2` gives 1, 3, 5, 7);
 * the shard is the task's position in that range. A list that is no range
 * (`--array=0,4,5`) has no such position and is refused.
 */
const slurm: SchedulerSource = {
  title: 'Slurm job array',
  indexVar: 'SLURM_ARRAY_TASK_ID',
  read(env, shards) {
    const id = intVar(env, 'SLURM_ARRAY_TASK_ID', 'the Slurm array task id');
    const c = countOf(env, 'SLURM_ARRAY_TASK_COUNT', shards, `SLURM_ARRAY_TASK_ID=${id} is set but SLURM_ARRAY_TASK_COUNT is not (Slurm older than 18.08?): pass --shards N with N = the number of array tasks`);
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? intVar(env, 'SLURM_ARRAY_TASK_MIN', 'the lowest array task id') : 0;
    const step = env.SLURM_ARRAY_TASK_STEP !== undefined ? intVar(env, 'SLURM_ARRAY_TASK_STEP', 'the array step') : 1;
    const max = env.SLURM_ARRAY_TASK_MAX !== undefined ? intVar(env, 'SLURM_ARRAY_TASK_MAX', 'the highest array task id') : undefined;
    const range = `SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step}${max !== undefined ? `, SLURM_ARRAY_TASK_MAX=${max}` : ''}`;
    if (step < 1 || (max !== undefined && (max - min) / step + 1 !== c.count) || (id - min) % step !== 0 || id < min) {
      throw new DistillError(`task ${id} of an array with ${c.from}, ${range} is not task i of a range MIN-MAX[:STEP] of ${c.count} tasks: submit with --array=0-${c.count - 1}, or pass --shard i/N`, 'SLURM_ARRAY_TASK_ID');
    }
    const task = env.SLURM_ARRAY_JOB_ID ? `slurm ${env.SLURM_ARRAY_JOB_ID}_${id}` : undefined;
    return { index: (id - min) / step, count: c.count, from: `SLURM_ARRAY_TASK_ID=${id}, ${c.from}${min !== 0 || step !== 1 ? `, ${range}` : ''}`, task };
  },
};

const awsBatch: SchedulerSource = {
  title: 'AWS Batch array job',
  indexVar: 'AWS_BATCH_JOB_ARRAY_INDEX',
  read(env, shards) {
    const index = intVar(env, 'AWS_BATCH_JOB_ARRAY_INDEX', 'the AWS Batch array index');
    const c = countOf(env, 'AWS_BATCH_JOB_ARRAY_SIZE', shards, `AWS_BATCH_JOB_ARRAY_INDEX=${index} is set but AWS_BATCH_JOB_ARRAY_SIZE is not: pass --shards N with N = the array size`);
    // A child's job id (parent:index) stays the same over its retry attempts.
    return { index, count: c.count, from: `AWS_BATCH_JOB_ARRAY_INDEX=${index}, ${c.from}`, task: env.AWS_BATCH_JOB_ID ? `aws-batch ${env.AWS_BATCH_JOB_ID}` : undefined };
  },
};

/** Schedulers whose array tasks `cache-teacher` recognises, by name. */
export const SCHEDULERS: Readonly<Record<string, SchedulerSource>> = { kubernetes, slurm, 'aws-batch': awsBatch };

/**
 * The shard this process is, read from the variables of the scheduler that
 * started it; undefined when none did (and no --shards was given): then
 * `cache-teacher` computes the whole cache.
 */
export function shardFromScheduler(env: Env, shards?: number): SchedulerShard | undefined {
  if (shards !== undefined && !(Number.isInteger(shards) && shards >= 1)) throw new DistillError(`${shards} is not an integer >= 1`, '--shards');
  const found = Object.entries(SCHEDULERS).filter(([, s]) => (env[s.indexVar] ?? '').trim() !== '');
  const vars = Object.values(SCHEDULERS).map((s) => s.indexVar).join(', ');
  if (found.length === 0) {
    if (shards !== undefined) throw new DistillError(`given (${shards}) but none of ${vars} is set, so this process does not know which shard it is: pass --shard i/${shards}`, '--shards');
    return undefined;
  }
  if (found.length > 1) {
    throw new DistillError(`${found.map(([, s]) => `${s.indexVar}=${env[s.indexVar]}`).join(' and ')} are both set: cannot tell which scheduler started this process; pass --shard i/N`, found[0][1].indexVar);
  }
  const [name, source] = found[0];
  const { index, count, from, task } = source.read(env, shards);
  if (index >= count) throw new DistillError(`shard index ${index} is not below the shard count ${count} (${from}); expected 0 <= index < count`, source.indexVar);
  return { index, count, scheduler: name, from: `${source.title}: ${from}`, ...(task ? { task } : {}) };
}
