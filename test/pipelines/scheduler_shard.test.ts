import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { shardFromScheduler, SCHEDULERS } from '../../src/pipelines/scheduler_shard';

const pick = (env: Record<string, string>, shards?: number) => {
  const s = shardFromScheduler(env, shards);
  return s && { index: s.index, count: s.count, scheduler: s.scheduler, task: s.task };
};

describe('shard from the scheduler\'s variables', () => {
  test('no scheduler: no shard (the whole cache); each scheduler read as it sets its variables', () => {
    assert.equal(shardFromScheduler({ HOME: '/root' }), undefined);
    assert.deepEqual(Object.keys(SCHEDULERS), ['kubernetes', 'slurm', 'aws-batch']);
    assert.deepEqual(pick({ JOB_COMPLETION_INDEX: '2' }, 3), { index: 2, count: 3, scheduler: 'kubernetes', task: undefined });
    assert.deepEqual(pick({ SLURM_ARRAY_JOB_ID: '4242', SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_STEP: '1' }),
      { index: 0, count: 4, scheduler: 'slurm', task: 'slurm 4242_0' });
    assert.deepEqual(pick({ AWS_BATCH_JOB_ID: 'abc:7', AWS_BATCH_JOB_ARRAY_INDEX: '7', AWS_BATCH_JOB_ARRAY_SIZE: '10' }), { index: 7, count: 10, scheduler: 'aws-batch', task: 'aws-batch abc:7' });
  });

  test('Slurm arrays that do not start at 0, or step: the shard is the task\'s position in the range', () => {
    const range = { SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_STEP: '1' };
    assert.deepEqual(['1', '2', '3'].map((id) => pick({ ...range, SLURM_ARRAY_TASK_ID: id })!.index), [0, 1, 2]);
    const stepped = { SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_MAX: '40', SLURM_ARRAY_TASK_STEP: '10' };
    assert.deepEqual(['10', '20', '30', '40'].map((id) => pick({ ...stepped, SLURM_ARRAY_TASK_ID: id })!.index), [0, 1, 2, 3]);
    // --array=0,4,5: 3 tasks that are no range.
    assert.throws(() => shardFromScheduler({ SLURM_ARRAY_TASK_ID: '4', SLURM_ARRAY_TASK_COUNT: '3', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '5', SLURM_ARRAY_TASK_STEP: '1' }),
      /^DistillError: SLURM_ARRAY_TASK_ID: task 4 of an array with SLURM_ARRAY_TASK_COUNT=3, .* is not task i of a range MIN-MAX\[:STEP\] of 3 tasks: submit with --array=0-2/);
  });

  test('inconsistent values are refused naming the variable and what was expected', () => {
    assert.throws(() => shardFromScheduler({ JOB_COMPLETION_INDEX: '1' }), /^DistillError: --shards: JOB_COMPLETION_INDEX=1 is set \(Kubernetes Indexed Job\) but the shard count is not: pass --shards N with N = the Job's .spec.completions/);
    assert.throws(() => shardFromScheduler({ JOB_COMPLETION_INDEX: '3' }, 3), /^DistillError: JOB_COMPLETION_INDEX: shard index 3 is not below the shard count 3 .*expected 0 <= index < count/);
    assert.throws(() => shardFromScheduler({ JOB_COMPLETION_INDEX: '1.5' }, 3), /^DistillError: JOB_COMPLETION_INDEX: value "1.5" is not a non-negative integer/);
    assert.throws(() => shardFromScheduler({ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '2' }), /^DistillError: SLURM_ARRAY_TASK_ID: value "x"/);
    assert.throws(() => shardFromScheduler({ SLURM_ARRAY_TASK_ID: '1' }), /^DistillError: SLURM_ARRAY_TASK_COUNT: SLURM_ARRAY_TASK_ID=1 is set but SLURM_ARRAY_TASK_COUNT is not/);
    assert.throws(() => shardFromScheduler({ SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '8' }, 3), /^DistillError: SLURM_ARRAY_TASK_COUNT: SLURM_ARRAY_TASK_COUNT=8 but --shards 3: the array and --shards must agree/);
    assert.throws(() => shardFromScheduler({ AWS_BATCH_JOB_ARRAY_INDEX: '4' }), /^DistillError: AWS_BATCH_JOB_ARRAY_SIZE: AWS_BATCH_JOB_ARRAY_INDEX=4 is set but AWS_BATCH_JOB_ARRAY_SIZE is not/);
    assert.throws(() => shardFromScheduler({ AWS_BATCH_JOB_ARRAY_INDEX: '4', AWS_BATCH_JOB_ARRAY_SIZE: '4' }), /^DistillError: AWS_BATCH_JOB_ARRAY_INDEX: shard index 4 is not below the shard count 4/);
    assert.throws(() => shardFromScheduler({ SLURM_ARRAY_TASK_ID: '1', AWS_BATCH_JOB_ARRAY_INDEX: '2' }), /SLURM_ARRAY_TASK_ID=1 and AWS_BATCH_JOB_ARRAY_INDEX=2 are both set: .*pass --shard i\/N/);
    assert.throws(() => shardFromScheduler({}, 3), /^DistillError: --shards: given \(3\) but none of JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID, AWS_BATCH_JOB_ARRAY_INDEX is set.*pass --shard i\/3/);
    assert.throws(() => shardFromScheduler({ JOB_COMPLETION_INDEX: '0' }, 0), /^DistillError: --shards: 0 is not an integer >= 1/);
  });
});
