import * as path from 'path';
import { ExperimentConfig } from '../config/experiment_config';
import * as tf from '../backend/tf';
import { currentBackend } from '../backend/select_backend';
import { readableSync } from '../backend/webgpu_backend';
import { checkpointDir, pruneCheckpoints, saveCheckpoint } from '../distill/checkpoint';
import { saveBestModel } from '../distill/best_model';
import { writeJsonAtomic } from '../util/atomic_write';
import { CheckpointCallback } from '../distill/callbacks/checkpoint_callback';
import { EvalCallback } from '../distill/callbacks/eval_callback';
import { MetricsCallback } from '../distill/callbacks/metrics_callback';
import { MetricsLog } from '../distill/metrics_log';
import { TrainCallback } from '../distill/train_callback';
import { trainLoop } from '../distill/train_loop';
import { NonFiniteLossError } from '../distill/trainer';
import { initialState, TrainingState } from '../distill/training_state';
import { Evaluator } from '../eval/evaluator';
import { layerTable } from '../distill/build_student';
import { DistillError } from '../util/errors';
import { listenForStop, StopRequested, StopSignalName } from '../distill/stop_signal';
import { redactCredentials } from '../util/redact_credentials';
import { finishTracking, failTracking } from './finish_tracking';
import { restoreCheckpoint } from './restore_checkpoint';
import { openRunFolder } from './run_folder';
import { loadRunModels, RunModels } from './run_models';
import { prepareRunData, RunData } from './run_data';
import { finishRunCards, runCardData } from './run_card';
import { renderModelCard } from '../model/model_card';
import { summarizeRun, TrainRunSummary, writeRunReport } from './run_summary';
import { immediateStopMessage, stoppedBeforeTraining, stoppedInTraining, TrainingStopped } from './training_stopped';
import { startTracking } from '../tracking/run_tracking';
import { ConfigRegistries, configToObject } from '../config/parse_config';
import { resolveModel, ResolvedModel } from '../hub/resolve_model';

export type { ModelRow, TrainRunSummary } from './run_summary';

export interface TrainRunOptions {
  /** Continue the run in this folder from its last checkpoint. */
  resume?: string;
  /** Resume even though a trajectory-changing config key differs. */
  force?: boolean;
  /** Start a new run in a folder that holds (part of) an old one, deleting the old run's files first. */
  forceNew?: boolean;
  quiet?: boolean;
  log?: (line: string) => void;
  /** Evaluators added to the dev ones the config implies (names must be unique). */
  evaluators?: Evaluator[];
  /** Extra loop callbacks, called after metrics, evaluation and checkpointing. */
  callbacks?: TrainCallback[];
  /** The registries the config was parsed with, when they hold user-registered losses or readers. */
  registries?: ConfigRegistries;
  /** Called after every optimizer step (tests check the tensor count here). */
  onStep?: (step: number) => void;
  /**
   * Handle SIGINT/SIGTERM while the run lasts (default true): the first signal
   * ends the run after the current step with a step checkpoint (unless
   * train.signal_checkpoint is false) and trainRun rejects with
   * TrainingStopped; the handlers are removed when trainRun settles.
   */
  handleSignals?: boolean;
  /**
   * A signal that must end the process at once (a second one, or the first
   * with train.signal_checkpoint false), called after the handlers are
   * removed. Default: the signal is raised again, so the process dies as it
   * would have without them. The CLI exits with 130 / 143 here.
   */
  onForcedStop?: (signal: StopSignalName) => void;
  /** Extra MLflow tags for the run, e.g. `mlflow.parentRunId` when it is one variant of a sweep. */
  trackingTags?: Record<string, string>;
}

/**
 * `distill train`: config to a trained, evaluated, checkpointed student.
 * Everything that holds tensors is disposed in `finally`, so a run that
 * throws (bad data, a failing evaluator, a full disk) leaves the tensor count
 * where it was.
 */
export async function trainRun(cfg: ExperimentConfig, opts: TrainRunOptions = {}): Promise<TrainRunSummary> {
  // Every line passes the redaction: a tracking URI with a password must never reach a log.
  const write = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const log = (l: string) => write(redactCredentials(l));
  const folder = openRunFolder(cfg, { ...opts, log });
  const { runDir } = folder;
  let models: RunModels;
  let teacher: ResolvedModel;
  try {
    teacher = await resolveModel(cfg.teacher.model, { where: 'teacher.model', quiet: opts.quiet });
    const studentBase = cfg.student.model ? await resolveModel(cfg.student.model, { where: 'student.model', quiet: opts.quiet }) : undefined;
    models = loadRunModels(cfg, opts.registries?.losses, { teacher: teacher.dir, student: studentBase?.dir });
  } catch (e) {
    folder.close();
    throw e;
  }
  const stop = opts.handleSignals === false ? null : listenForStop({
    graceful: cfg.train.signal_checkpoint, log,
    onImmediate: (sig) => {
      log(immediateStopMessage(sig, runDir, cfg.train.signal_checkpoint));
      (opts.onForcedStop ?? ((s) => process.kill(process.pid, s)))(sig);
    },
  });
  try {
    writeJsonAtomic(path.join(runDir, 'config.resolved.json'), configToObject(cfg));
    writeJsonAtomic(path.join(runDir, 'teacher.json'), teacherRecord(cfg, teacher));
    logModels(cfg, models, teacher, log);
    const data = await prepareRunData(cfg, models.teacher, models.student.model, runDir, { quiet: opts.quiet, readers: opts.registries?.readers, signal: stop?.abort }).catch((e) => {
      throw e instanceof StopRequested ? stoppedBeforeTraining(e.signal, runDir, folder.resume?.dir ?? null) : e;
    });
    if (stop?.requested) throw stoppedBeforeTraining(stop.requested, runDir, folder.resume?.dir ?? null);
    logData(data, log);
    const evaluators = [...data.evaluators, ...(opts.evaluators ?? [])];
    let state = initialState(cfg.seed, folder.hash);
    const metrics = new MetricsLog(path.join(runDir, 'metrics.jsonl'), (m) => log(`warning: ${m}`));
    if (folder.resume) {
      state = await restoreCheckpoint(models, folder.resume, folder.hash, { source: data.data, train: cfg.train });
      metrics.truncateAfter(state.step);
      log(`resuming from ${folder.resume.dir}: step ${state.step}, epoch ${state.epoch}, batch ${state.batchInEpoch}`);
    }
    const tracker = startTracking(cfg, runDir, metrics, {
      teacher: cfg.teacher.model, teacherCommit: teacher.hub?.commit, backend: currentBackend()?.name ?? 'unknown', resumeRunId: state.trackingRunId, resumed: !!folder.resume, tags: opts.trackingTags,
      student: models.student.keptLayers ? `layers ${JSON.stringify(models.student.keptLayers)}` : `fresh ${models.student.model.config.numHiddenLayers}x${models.student.model.config.hiddenSize}`,
    }, log);
    state.trackingRunId = tracker?.runId ?? state.trackingRunId;
    try {
      const evalCb = new EvalCallback(models.student.model, metrics, {
        evaluators, metricForBest: cfg.train.metric_for_best, every: cfg.train.eval_every, log,
        onBest: async (s) => (await readableSync(models.student.model.weights.values()), saveBestModel(path.join(runDir, 'best'), models.student.model, s.best!, renderModelCard(runCardData(cfg, teacher, models, data, s)))),
      });
      const callbacks: TrainCallback[] = [
        new MetricsCallback(metrics, models.losses.map((l) => l.loss.name), cfg.train.log_every, opts.quiet),
        evalCb,
        new CheckpointCallback(cfg.checkpoint.every, async (s) => (metrics.sync(), await saveState(checkpointDir(runDir, s.step), models, s), pruneCheckpoints(runDir, cfg.checkpoint.keep_last))),
        ...(opts.callbacks ?? []),
        ...(opts.onStep ? [{ onStep: (e: { step: number }) => opts.onStep!(e.step) }] : []),
      ];
      const loop = await trainLoop(models.trainer, data.data, cfg.train, state, callbacks, stop ?? undefined).catch((e) => {
        throw e instanceof NonFiniteLossError ? new DistillError(`${e.message}. Last checkpoint: ${path.join(runDir, 'checkpoints')}. Lower train.lr or check the data.`) : e;
      });
      if (loop.stoppedBy) throw await stoppedInTraining(loop.stoppedBy, cfg, runDir, loop.state.step, loop.totalSteps, tracker, metrics);
      const summary = await summarizeRun(runDir, models, data, loop, evalCb.decider);
      writeRunReport(cfg, metrics, summary);
      finishRunCards(runCardData(cfg, teacher, models, data, loop.state), summary);
      summary.mlflow = tracker ? await finishTracking(tracker, runDir, cfg.tracking.final_timeout_s) : null;
      writeJsonAtomic(path.join(runDir, 'summary.json'), summary);
      return summary;
    } catch (e) {
      if (!(e instanceof TrainingStopped)) await failTracking(tracker, cfg, runDir, metrics, log);
      throw e;
    }
  } finally {
    stop?.dispose();
    models.dispose();
    folder.close();
  }
}

/** Reads every tensor it saves asynchronously first: the webgpu backend has no synchronous GPU read in Node. */
async function saveState(dir: string, models: RunModels, state: TrainingState): Promise<void> {
  const slots = models.optimizer.slots(); // fresh tensors (the fused optimizer keeps its state in TensorFlow resources)
  try {
    const heads = new Map(models.losses.flatMap((l) => [...l.loss.params]));
    await readableSync([...models.student.model.weights.values(), ...slots.values(), ...heads.values()]);
    saveCheckpoint(dir, models.student.model, state, slots, heads);
  } finally {
    tf.dispose([...slots.values()]);
  }
}

/** Which teacher the run used: the config's name for it and, for a Hub id, the commit it resolved to. */
function teacherRecord(cfg: ExperimentConfig, t: ResolvedModel): Record<string, unknown> {
  return { model: cfg.teacher.model, dir: path.resolve(t.dir), ...(t.hub ? { hub: t.hub } : {}) };
}

function logModels(cfg: ExperimentConfig, m: RunModels, tm: ResolvedModel, log: (l: string) => void): void {
  const t = m.teacher;
  log(`teacher: ${cfg.teacher.model}${tm.hub ? ` (commit ${tm.hub.commit})` : ''} (${t.config.modelType}, ${t.config.numHiddenLayers} layers, ${t.config.hiddenSize} wide, pooling ${t.pooling.modes.join('+')}${t.normalize ? ' + normalize' : ''})`);
  log(layerTable(m.student, cfg.student.model ? `student.model (${cfg.student.model})` : 'teacher'));
  for (const l of m.losses) for (const [k, p] of l.loss.params) log(`  loss head ${k}: ${JSON.stringify(p.shape)}`);
}

function logData(d: RunData, log: (l: string) => void): void {
  const s = d.stats;
  log(`data: ${d.rows} training rows, ${d.sentences} distinct sentences (${s.rows} rows read, ${s.duplicates} duplicates, ${s.filtered} filtered, ${s.badRows} bad rows skipped)`);
  log(`prepared dataset: ${d.prepared.dir} (${d.prepared.reused ? 'reused' : 'written'}; ${d.data.layout.chunkRows.length} chunks, windows of ${d.data.layout.windowChunks})`);
  for (const e of s.badExamples) log(`warning: bad row skipped: ${e}`);
  log(`dev: ${d.evaluators.length ? `${d.evaluators.map((e) => e.description).join('; ')} (${d.devSource})` : 'none (give data.dev or data.dev_ratio to evaluate)'}`);
  log(`teacher embeddings: ${d.teacherCached} from cache, ${d.teacherComputed} computed`);
  log(`padding ${(100 * d.paddingFraction).toFixed(1)}% of token slots`);
}
