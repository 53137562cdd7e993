import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { planSweep, variantId } from '../../src/pipelines/sweep_plan';
import { expandSpace, gridFromArgs, readSpaceFile } from '../../src/pipelines/sweep_space';
import { TrainRunSummary } from '../../src/pipelines/run_summary';
import { DistillError } from '../../src/util/errors';
import { buildSweepTable, VariantOutcome } from '../../src/pipelines/sweep_table';
import { MlflowClient } from '../../src/tracking/mlflow_client';
import { CLI, ROOT, tmpDir } from '../helpers/env';
import { freePort, MlflowServer } from '../helpers/mlflow_server';
import { tinyRun, tinyRunVariant } from '../helpers/tiny_run';

interface Row { rank: number | null; id: string; values: Record<string, unknown>; status: string; value: number | null; bestStep: number | null; last: number | null; runDir: string }
interface SweepJson { metric: string; greaterIsBetter: boolean; keys: string[]; rows: Row[] }

const summaryOf = (runDir: string) => JSON.parse(fs.readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as TrainRunSummary;

function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync('node', [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}

/** Every row's value and step recomputed from the run's own summary.json; the rows ranked best first. */
function assertTableMatchesRuns(t: SweepJson, n: number) {
  assert.equal(t.rows.length, n);
  for (const r of t.rows) {
    const evals = summaryOf(r.runDir).evals.map((e) => [e.step, e[t.metric]] as const);
    const best = evals.reduce((b, e) => (e[1] > b[1] ? e : b));
    assert.equal(r.value, best[1], `${r.id}: best ${t.metric}`);
    assert.equal(r.bestStep, best[0], `${r.id}: step of the best ${t.metric}`);
    assert.equal(r.last, evals[evals.length - 1][1], `${r.id}: last ${t.metric}`);
    assert.equal(summaryOf(r.runDir).devMetric!.name, t.metric);
  }
  assert.deepEqual(t.rows.map((r) => r.rank), Array.from({ length: n }, (_, i) => i + 1));
  for (let i = 1; i < n; i++) assert.ok(t.rows[i - 1].value! >= t.rows[i].value!, `row ${i} ranked above row ${i + 1}`);
}

async function waitFor(what: string, cond: () => boolean, child: ReturnType<typeof spawn>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => cond() && (clearInterval(t), resolve()), 25);
    child.on('exit', () => (clearInterval(t), cond() ? resolve() : reject(new Error(`the sweep ended before ${what}`))));
  });
}

describe('distill sweep', () => {
  let server: MlflowServer;
  let tiny: ReturnType<typeof tinyRun>;
  before(async () => {
    // The server starts while PyTorch makes the tiny teacher.
    server = new MlflowServer(await freePort());
    server.start();
    tiny = tinyRun({ steps: 30, every: 10 });
    await server.ready();
  });
  after(async () => {
    await server.stop();
  });

  test('bad input names the key and stops before any run starts; ids are stable', () => {
    // Planning reads no model: a config naming a teacher folder that is not there is enough.
    const dir = tmpDir('sweep-plan-');
    const r = { dir, config: path.join(dir, 'config.yaml') };
    fs.writeFileSync(r.config, `output_dir: ${path.join(dir, 'run')}\nteacher: {model: ${path.join(dir, 'teacher')}}\nstudent: {layers: 2}\nlosses: [{name: mse}]\ndata: {train: {path: train.tsv, kind: sentences}}\n`);
    const grid = (...args: string[]) => ({ mode: 'grid' as const, grids: [gridFromArgs(args)] });
    const fails = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof DistillError && re.test(e.message), re.source);
    fails(() => planSweep(r.config, grid('train.lrr=1e-4,1e-3')), /sweep key "train\.lrr".*"train\.lrr" is not a known key/);
    fails(() => planSweep(r.config, grid('train.lr=1e-4,fast')), /sweep key "train\.lr" = "fast".*must be a number/);
    fails(() => planSweep(r.config, grid('student.layers=[0,3],three')), /sweep key "student\.layers" = "three"/);
    fails(() => planSweep(r.config, grid('losses.0.temperature=0.1')), /sweep key "losses\.0\.temperature".*losses\[0\]\.temperature/);
    fails(() => planSweep(r.config, grid('losses.2.weight=1')), /sweep key "losses\.2\.weight": "losses" is a list of 1/);
    fails(() => planSweep(r.config, grid('data.dev.0.path=a')), /"data\.dev" is not set in the config/);
    fails(() => planSweep(r.config, grid('output_dir=a,b')), /sweep key "output_dir" cannot be varied/);
    fails(() => gridFromArgs(['train.lr=']), /--grid key "train\.lr" has no values \(an empty grid\)/);
    fails(() => gridFromArgs(['train.lr=1e-4,,1e-3']), /--grid key "train\.lr": value 2/);
    const space = path.join(r.dir, 'space.yaml');
    fs.writeFileSync(space, 'grid:\n  train.lr: []\n');
    fails(() => readSpaceFile(space), /key "train\.lr" has no values \(an empty grid\)/);
    fs.writeFileSync(space, 'random:\n  train.lr: {loguniform: [1e-5, 1e-3]}\n');
    fails(() => readSpaceFile(space, { n: 3, seed: 1 }), /key "train\.lr": unknown distribution "loguniform"; known: choice.*log_uniform/);
    // The CLI: exit 2, one line naming the key, no run folder made.
    const bad = cli(['sweep', '--config', r.config, '--grid', 'train.lr=1e-3', '--grid', 'train.batch_size=8,big']);
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /^error: sweep key "train\.batch_size" = "big": .*must be an integer/m);
    assert.ok(!fs.existsSync(path.join(r.dir, 'run')), 'nothing was created before the error');
    // Layers that the teacher does not have: caught from its config.json before anything trains.
    const layers = cli(['sweep', '--config', tiny.config, '--grid', 'student.layers=[0,3],[1,4]', '--dry-run']);
    assert.equal(layers.status, 2, layers.stderr);
    assert.match(layers.stderr, /^error: sweep variant layers=1-4-[0-9a-f]{8} \(student\.layers=\[1,4\]\): student\.layers: layer 4 does not exist: the teacher has layers 0\.\.3/m);
    // List values, the YAML of --grid, and ids that do not depend on key order.
    const [[key, values]] = Object.entries(gridFromArgs(['student.layers=[1,3,5],[0,5]']));
    assert.equal(key, 'student.layers');
    assert.deepEqual(values, [[1, 3, 5], [0, 5]]);
    assert.deepEqual(gridFromArgs(['losses.0.gamma=median,1.5,"1e-3"'])['losses.0.gamma'], ['median', 1.5, '1e-3']);
    assert.equal(variantId({ a: 1, 'x.b': [0, 3] }), variantId({ 'x.b': [0, 3], a: 1 }));
    assert.match(variantId({ 'train.lr': 0.001, 'student.layers': [0, 3] }), /^layers=0-3_lr=0\.001-[0-9a-f]{8}$/);
    assert.notEqual(variantId({ a: 1 }), variantId({ a: '1' }));
    // Random draws: seeded, every key drawn, within its range.
    fs.writeFileSync(space, 'random:\n  train.lr: {log_uniform: [1.0e-5, 1.0e-3]}\n  train.batch_size: [8, 16]\n  seed: {int_uniform: [1, 3]}\n');
    const draws = expandSpace(readSpaceFile(space, { n: 20, seed: 7 }));
    assert.deepEqual(draws, expandSpace(readSpaceFile(space, { n: 20, seed: 7 })));
    for (const d of draws) assert.ok((d['train.lr'] as number) >= 1e-5 && (d['train.lr'] as number) <= 1e-3 && [8, 16].includes(d['train.batch_size'] as number) && [1, 2, 3].includes(d.seed as number), JSON.stringify(d));
    assert.ok(new Set(draws.map((d) => d.seed)).size === 3);
  });

  test('the table ranks by the runs\' own direction; other metrics need :max or :min; runs without a value go last', () => {
    const run = (id: string, evals: Array<Record<string, number>>, status: VariantOutcome['status'] = 'finished'): VariantOutcome => ({
      id, values: { k: id }, runDir: id, status,
      ...(evals.length ? { summary: { steps: 20, seconds: 60, evals, devMetric: { name: 'mse_to_teacher', greaterIsBetter: false, description: '', source: '' }, mlflow: null } as unknown as TrainRunSummary } : {}),
    });
    const outcomes = [
      run('a', [{ step: 0, mse_to_teacher: 9, spearman: 10 }, { step: 10, mse_to_teacher: 3, spearman: 30 }, { step: 20, mse_to_teacher: 4, spearman: 20 }]),
      run('b', []), run('c', [{ step: 0, mse_to_teacher: 2, spearman: 5 }]), run('d', [], 'failed'),
    ];
    const t = buildSweepTable(outcomes, ['k']);
    assert.equal(t.metric, 'mse_to_teacher');
    assert.equal(t.greaterIsBetter, false);
    assert.deepEqual(t.rows.map((r) => [r.id, r.rank, r.value, r.bestStep, r.last]), [['c', 1, 2, 0, 2], ['a', 2, 3, 10, 4], ['b', null, null, null, null], ['d', null, null, null, null]]);
    assert.deepEqual(buildSweepTable(outcomes, ['k'], 'spearman:max').rows.map((r) => [r.id, r.value]).slice(0, 2), [['a', 30], ['c', 5]]);
    assert.throws(() => buildSweepTable(outcomes, ['k'], 'spearman'), /--metric "spearman" did not decide .* give --metric spearman:max or spearman:min/);
    assert.throws(() => buildSweepTable(outcomes, ['k'], 'acc:max'), /--metric "acc" is not evaluated by these runs; evaluated: mse_to_teacher, spearman/);
  });

  test('the shipped IBKD study expands on the real configs: every run valid, ids unique, the intended settings', () => {
    const spaceFile = path.join(ROOT, 'configs', 'sweeps', 'ibkd-study.yaml');
    const plan = planSweep(path.join(ROOT, 'configs', 'minilm-6to3-ibkd.yaml'), readSpaceFile(spaceFile), { name: 'ibkd-study' });
    assert.equal(new Set(plan.variants.map((v) => v.id)).size, plan.variants.length);
    assert.deepEqual(plan.duplicates, []);
    const subset = plan.variants.map((v) => v.config).filter((c) => c.student.hidden_size === undefined);
    const ibkd = subset.filter((c) => c.losses.length === 1 && c.losses[0].name === 'ibkd');
    const combos = new Set(ibkd.map((c) => JSON.stringify([c.student.layers, c.losses[0].options.temperature, c.losses[0].options.lambda, c.losses[0].options.lambda === 0 ? '-' : c.losses[0].options.gamma])));
    // 2 students x 3 tau x (lambda 0, or lambda 0.2 / 1.0 x gamma median / fixed).
    assert.equal(combos.size, 2 * 3 * (1 + 2 * 2));
    for (const layers of [3, 2]) {
      for (const tau of [0.05, 0.1, 1.0]) {
        assert.ok(combos.has(JSON.stringify([layers, tau, 0, '-'])), `6 -> ${layers}, tau ${tau}, lambda 0`);
        for (const lambda of [0.2, 1.0]) assert.equal(ibkd.filter((c) => c.student.layers === layers && c.losses[0].options.temperature === tau && c.losses[0].options.lambda === lambda).map((c) => c.losses[0].options.gamma).sort().length, 2);
      }
      assert.ok(plan.variants.some((v) => v.config.student.layers === layers && v.config.losses.length === 1 && v.config.losses[0].name === 'mse'), `MSE baseline for 6 -> ${layers}`);
      assert.ok(plan.variants.some((v) => v.config.student.layers === layers && v.config.losses.map((l) => l.name).sort().join('+') === 'ibkd+mse'), `IBKD + MSE for 6 -> ${layers}`);
    }
    // The paper's setting: a fresh 3 x 256 student (projection heads to 384), MSE vs IBKD at the same budget.
    const fresh = plan.variants.map((v) => v.config).filter((c) => c.student.hidden_size !== undefined);
    assert.deepEqual(fresh.map((c) => [c.student.layers, c.student.hidden_size, c.student.num_attention_heads, c.student.intermediate_size]), Array(4).fill([3, 256, 4, 1024]));
    assert.deepEqual(fresh.map((c) => c.losses.map((l) => l.name === 'ibkd' ? `ibkd@${l.options.temperature}` : l.name).join('+')), ['mse', 'ibkd@0.05', 'ibkd@1', 'ibkd@0.05+mse']);
    assert.equal(plan.variants.length, 42);
    for (const v of plan.variants) {
      assert.equal(v.config.train.eval_every > 0, true);
      assert.equal(v.runDir, path.join('checkpoints', 'minilm-6to3-ibkd', 'sweep-ibkd-study', v.id));
    }
  });

  test('the study as run (ibkd-study-run.yaml) plans 19 distinct valid runs in the full study\'s folder', () => {
    const plan = planSweep(path.join(ROOT, 'configs', 'minilm-6to3-ibkd.yaml'), readSpaceFile(path.join(ROOT, 'configs', 'sweeps', 'ibkd-study-run.yaml')), { name: 'ibkd-study' });
    assert.equal(plan.variants.length, 19);
    assert.deepEqual(plan.duplicates, []);
    assert.equal(new Set(plan.variants.map((v) => v.id)).size, 19);
    const taus = plan.variants.map((v) => v.config).filter((c) => c.student.layers === 3 && c.student.hidden_size === undefined && c.losses.length === 1 && c.losses[0].name === 'ibkd' && c.losses[0].options.lambda === 0.2 && c.losses[0].options.gamma === 'median');
    assert.deepEqual(taus.map((c) => c.losses[0].options.temperature).sort(), [0.05, 0.1, 1]);
    const weighted = plan.variants.map((v) => v.config).filter((c) => c.losses.length === 2 && c.losses[1].name === 'mse');
    assert.deepEqual(weighted.map((c) => [c.student.layers, c.losses[1].weight]).sort(), [[2, 1], [3, 1], [3, 1], [3, 100], [3, 1000]].sort());
  });

  test('a 2 x 2 grid: killed mid-way, rerun, skips the finished runs, resumes the cut one, ranks all 4 by their own summaries, and MLflow holds 1 parent + 4 children', async () => {
    const r = tiny;
    const args = ['sweep', '--config', r.config, '--grid', 'train.lr=0.001,0.0003', '--grid', 'student.layers=[0,3],[1,2]', '--name', 'it',
      '--set', `tracking={mlflow_uri: ${server.uri}, experiment: sweep-it}`, '--json'];
    const dir = path.join(r.dir, 'run', 'sweep-it');
    const first = spawn('node', [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let firstLog = '';
    first.stderr!.on('data', (d) => (firstLog += d));
    const finished = () => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => fs.existsSync(path.join(dir, d, 'summary.json'))) : []);
    const cut = () => fs.readdirSync(dir).find((d) => !finished().includes(d) && fs.existsSync(path.join(dir, d, 'checkpoints', 'step-0000010')));
    await waitFor('2 runs finished and a third checkpointed', () => finished().length >= 2 && !!cut(), first);
    first.kill('SIGKILL');
    await new Promise((res) => first.on('exit', res));
    const done = finished();
    assert.equal(done.length, 2, firstLog);
    const cutId = cut()!;
    assert.ok(!fs.existsSync(path.join(dir, cutId, 'summary.json')));
    const before = new Map(done.map((d) => [d, { mtime: fs.statSync(path.join(dir, d, 'summary.json')).mtimeMs, text: fs.readFileSync(path.join(dir, d, 'summary.json'), 'utf8') }]));

    const second = cli(args);
    assert.equal(second.status, 0, second.stderr);
    for (const d of done) {
      assert.match(second.stderr, new RegExp(`${d} skipped: finished before`));
      assert.doesNotMatch(second.stderr, new RegExp(`${d} (starting|resuming)`));
      const s = path.join(dir, d, 'summary.json');
      assert.equal(fs.statSync(s).mtimeMs, before.get(d)!.mtime, `${d}: summary.json untouched`);
      assert.equal(fs.readFileSync(s, 'utf8'), before.get(d)!.text);
    }
    assert.match(second.stderr, new RegExp(`${cutId} resuming from its last checkpoint`));
    assert.match(second.stderr, /resuming from .*step-00000[1-3]0/);
    const out = JSON.parse(second.stdout) as SweepJson & { mlflow: { parentRunId: string } };
    const table = JSON.parse(fs.readFileSync(path.join(dir, 'sweep.json'), 'utf8')) as SweepJson;
    assert.deepEqual(out.rows, table.rows);
    assert.equal(table.metric, 'spearman');
    assert.equal(table.greaterIsBetter, true);
    assert.deepEqual(table.keys, ['train.lr', 'student.layers']);
    assertTableMatchesRuns(table, 4);
    assert.deepEqual(table.rows.map((x) => x.status).sort(), ['finished', 'finished', 'skipped', 'skipped']);
    const combos = table.rows.map((x) => JSON.stringify([x.values['train.lr'], x.values['student.layers']])).sort();
    assert.deepEqual(combos, ['[0.0003,[0,3]]', '[0.0003,[1,2]]', '[0.001,[0,3]]', '[0.001,[1,2]]']);
    for (const x of table.rows) {
      const cfg = JSON.parse(fs.readFileSync(path.join(x.runDir, 'config.resolved.json'), 'utf8'));
      assert.equal(cfg.train.lr, x.values['train.lr']);
      assert.deepEqual(cfg.student.layers, x.values['student.layers']);
      assert.equal(summaryOf(x.runDir).steps, 30);
    }
    // The markdown and TSV tables hold the same ranking; the report plots the metric against both keys.
    const tsv = fs.readFileSync(path.join(dir, 'sweep.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t'));
    assert.deepEqual(tsv[0].slice(0, 3), ['rank', 'train.lr', 'student.layers']);
    assert.deepEqual(tsv.slice(1).map((c) => c[c.length - 1]), table.rows.map((x) => x.id));
    assert.deepEqual(tsv.slice(1).map((c) => Number(c[3])), table.rows.map((x) => Number(x.value!.toFixed(2))));
    assert.equal(fs.readFileSync(path.join(dir, 'sweep.md'), 'utf8').trim().split('\n').length, 6);
    const html = fs.readFileSync(path.join(dir, 'report.html'), 'utf8');
    for (const k of ['train.lr', 'student.layers']) assert.match(html, new RegExp(`data-title="${k.replace('.', '\\.')}" data-points="4"`));

    // MLflow: one parent (continued by the rerun, not a second one), four children tagged with it.
    const client = new MlflowClient(server.uri);
    const exp = await client.getOrCreateExperiment('sweep-it');
    const res = await fetch(`${server.uri}/api/2.0/mlflow/runs/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ experiment_ids: [exp], max_results: 100 }) });
    const runs = ((await res.json()) as { runs: Array<{ info: { run_id: string; status: string }; data: { params?: Array<{ key: string; value: string }>; tags?: Array<{ key: string; value: string }> } }> }).runs;
    const tagsOf = (x: (typeof runs)[0]) => new Map((x.data.tags ?? []).map((t) => [t.key, t.value]));
    const paramsOf = (x: (typeof runs)[0]) => new Map((x.data.params ?? []).map((p) => [p.key, p.value]));
    const parents = runs.filter((x) => !tagsOf(x).has('mlflow.parentRunId'));
    const children = runs.filter((x) => tagsOf(x).has('mlflow.parentRunId'));
    assert.equal(parents.length, 1, JSON.stringify(runs.map((x) => x.info)));
    assert.equal(children.length, 4);
    const parent = parents[0];
    assert.equal(parent.info.run_id, out.mlflow.parentRunId);
    assert.equal(parent.info.status, 'FINISHED');
    assert.equal(paramsOf(parent).get('sweep.grid.train.lr'), '[0.001,0.0003]');
    assert.equal(paramsOf(parent).get('sweep.grid.student.layers'), '[[0,3],[1,2]]');
    assert.equal(paramsOf(parent).get('sweep.variants'), '4');
    assert.match(tagsOf(parent).get('mlflow.note.content') ?? '', /\| rank \| train\.lr \| student\.layers \|/);
    const parentRun = await client.getRun(parent.info.run_id);
    assert.ok((await client.downloadArtifact(parentRun.info.artifact_uri, 'sweep.md')).equals(fs.readFileSync(path.join(dir, 'sweep.md'))));
    assert.equal((parentRun.data.metrics ?? []).find((m) => m.key === 'best_spearman')?.value, table.rows[0].value);
    for (const c of children) {
      assert.equal(tagsOf(c).get('mlflow.parentRunId'), parent.info.run_id);
      assert.equal(c.info.status, 'FINISHED');
      const row = table.rows.find((x) => x.id === tagsOf(c).get('distill.sweep_variant'))!;
      assert.ok(row, `child ${c.info.run_id} names its variant`);
      assert.equal(paramsOf(c).get('train.lr'), String(row.values['train.lr']));
      assert.equal(paramsOf(c).get('student.layers'), JSON.stringify(row.values['student.layers']));
      assert.equal(c.info.run_id, summaryOf(row.runDir).mlflow!.runId);
    }
  });

  test('--parallel 2 trains variants in child processes; a changed base config is refused for a finished folder', () => {
    const r = tinyRunVariant(tiny, 'parallel', { steps: 20 });
    const args = ['sweep', '--config', r.config, '--grid', 'train.lr=0.001,0.0003', '--parallel', '2', '--json'];
    const res = cli(args);
    assert.equal(res.status, 0, res.stderr);
    const t = JSON.parse(res.stdout) as SweepJson;
    assertTableMatchesRuns(t, 2);
    // Each child's log lines come back under its id.
    for (const x of t.rows) assert.match(res.stderr, new RegExp(`^\\[${x.id}\\] .*padding`, 'm'));
    const again = cli([...args, '--set', 'train.batch_size=4']);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /holds a run of another config .* another --name/);
  });
});
