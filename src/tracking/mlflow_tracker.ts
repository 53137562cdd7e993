import * as fs from 'fs';
import * as path from 'path';
import { KEY_PATTERN, LIMITS, MlflowClient, MlflowError, MlflowMetric, MlflowRunInfo } from './mlflow_client';
import { createRunOnce } from './create_run_once';
import { warnToStderr } from '../util/warn';

export interface TrackerOptions {
  uri: string;
  experiment: string;
  runName: string;
  runDir: string;
  params: Array<{ key: string; value: string }>;
  tags: Record<string, string>;
  /** Continue this MLflow run (from a resumed training run). */
  resumeRunId?: string | null;
  /** Send queued metrics once this many are pending (or at flush()). */
  batchEvery?: number;
  retryInitialMs?: number;
  retryMaxMs?: number;
  warn?: (msg: string) => void;
}

/**
 * Sends a run to MLflow without ever blocking or failing training: metrics
 * are queued and leave the queue only when the server has accepted them;
 * while it is unreachable, attempts back off exponentially and one warning
 * is printed. A run created late (server down at start) gets everything that
 * was queued. A resumed run skips (key, step) pairs the server already has,
 * so nothing is sent twice and nothing is missing.
 */
export class MlflowTracker {
  readonly client: MlflowClient;
  private run: MlflowRunInfo | null = null;
  private queue: MlflowMetric[] = [];
  private inFlight: Promise<void> | null = null;
  private nextAttempt = 0;
  private delay: number;
  private failing = false;
  private serverSteps: Map<string, Set<number>> | null = null;
  /** Params not yet accepted by the server; known once the run is created or looked up. */
  private paramsPending: Array<{ key: string; value: string }> = [];
  readonly issues: string[] = [];
  skippedNonFinite = 0;

  constructor(private readonly o: TrackerOptions) {
    this.client = new MlflowClient(o.uri);
    this.delay = o.retryInitialMs ?? 1000;
  }

  get runId(): string | null {
    return this.run?.run_id ?? this.o.resumeRunId ?? null;
  }

  private warn(msg: string): void {
    (this.o.warn ?? warnToStderr)(msg);
  }

  /** Queues one logged step's values; non-finite values are counted, never sent as null. */
  log(step: number, values: Record<string, number>, timestamp = Date.now()): void {
    for (const [key, value] of Object.entries(values)) {
      if (key === 'step') continue;
      if (!Number.isFinite(value)) {
        if (this.skippedNonFinite++ === 0) this.warn(`metric "${key}" at step ${step} is ${value}; non-finite values are not sent to MLflow (counted in the summary)`);
        continue;
      }
      if (key.length > LIMITS.keyLength || !KEY_PATTERN.test(key)) {
        this.issues.push(`metric key "${key}" is not valid for MLflow and was not sent`);
        continue;
      }
      this.queue.push({ key, value, timestamp, step });
    }
    if (this.queue.length >= (this.o.batchEvery ?? 50)) this.kick();
  }

  /** Starts a background send if none is running and the backoff allows. */
  kick(): void {
    if (this.inFlight || Date.now() < this.nextAttempt) return;
    this.inFlight = this.sendOnce().finally(() => (this.inFlight = null));
  }

  get pending(): number {
    return this.queue.length;
  }

  /**
   * The run is ready only once it exists (created, or looked up on resume)
   * and its params are on the server. Each piece is kept when it succeeds and
   * the rest is retried on the next attempt, so a transient failure of the
   * params request neither loses the params nor creates a second run.
   */
  private async ensureRun(): Promise<MlflowRunInfo> {
    if (!this.run) this.run = await this.createOrResume();
    await this.sendParams(this.run.run_id);
    return this.run;
  }

  private get ready(): boolean {
    return this.run !== null && this.paramsPending.length === 0;
  }

  private async createOrResume(): Promise<MlflowRunInfo> {
    const file = path.join(this.o.runDir, 'tracking.json');
    const resumeId = this.o.resumeRunId ?? (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')).run_id : null);
    if (!resumeId) {
      const exp = await this.client.getOrCreateExperiment(this.o.experiment);
      const { run, adopted } = await createRunOnce(this.client, this.o.runDir, exp, this.o.runName, { 'mlflow.runName': this.o.runName, ...this.o.tags });
      if (adopted) return this.resume(run.run_id);
      this.paramsPending = [...this.o.params];
      return run;
    }
    return this.resume(resumeId);
  }

  /** Continues a run that exists on the server: its params and metric history are what it already has. */
  private async resume(resumeId: string): Promise<MlflowRunInfo> {
    const r = await this.client.getRun(resumeId);
    await this.client.updateRun(resumeId, 'RUNNING');
    // Set before any metric can be sent: from here on every key's server history is loaded before its first batch.
    this.serverSteps = new Map();
    this.paramsPending = this.unsentParams(r.data.params ?? []);
    return r.info;
  }

  /** Params the resumed run lacks; a changed value is reported, since MLflow params are write-once. */
  private unsentParams(onServer: Array<{ key: string; value: string }>): Array<{ key: string; value: string }> {
    const existing = new Map(onServer.map((p) => [p.key, p.value]));
    return this.o.params.filter((p) => {
      const old = existing.get(p.key);
      if (old !== undefined && old !== p.value) this.issues.push(`param "${p.key}" is ${old} in the MLflow run and ${p.value} now (params are write-once; kept ${old})`);
      return old === undefined;
    });
  }

  /**
   * Sends what is left of the params, dropping each batch from the list only
   * once the server accepted it, so none is sent again after it arrived. A
   * rejected batch would be rejected forever: it is reported and dropped so
   * that metrics are not held back by it.
   */
  private async sendParams(runId: string): Promise<void> {
    while (this.paramsPending.length) {
      const batch = this.paramsPending.slice(0, LIMITS.paramsPerBatch);
      try {
        await this.client.logBatch(runId, { params: batch });
      } catch (e) {
        if (!(e instanceof MlflowError) || e.transient || e.status === 404) throw e;
        this.issues.push(`${batch.length} params not accepted: ${e.message}`);
      }
      this.paramsPending.splice(0, batch.length);
    }
  }

  /** On a resumed run, what the server already holds for these keys. */
  private async dropKnown(batch: MlflowMetric[]): Promise<MlflowMetric[]> {
    if (!this.serverSteps) return batch;
    for (const key of new Set(batch.map((m) => m.key))) {
      if (!this.serverSteps.has(key)) this.serverSteps.set(key, new Set((await this.client.metricHistory(this.run!.run_id, key)).map((m) => Number(m.step))));
    }
    return batch.filter((m) => !this.serverSteps!.get(m.key)!.has(m.step));
  }

  private async sendOnce(): Promise<void> {
    try {
      const run = await this.ensureRun();
      while (this.queue.length) {
        const batch = this.queue.slice(0, LIMITS.metricsPerBatch);
        const toSend = await this.dropKnown(batch);
        if (toSend.length) await this.client.logBatch(run.run_id, { metrics: toSend });
        for (const m of toSend) this.serverSteps?.get(m.key)?.add(m.step);
        this.queue.splice(0, batch.length);
      }
      if (this.failing) this.warn(`MLflow at ${this.client.uri} is reachable again; queued metrics sent`);
      this.failing = false;
      this.delay = this.o.retryInitialMs ?? 1000;
      this.nextAttempt = 0;
    } catch (e) {
      if (e instanceof MlflowError && !e.transient && e.status !== 404) {
        // A rejection (bad request) would repeat forever: report it and drop nothing silently.
        this.issues.push(e.message);
      }
      if (!this.failing) this.warn(`${(e as Error).message}; training continues, metrics are kept locally and retried with backoff`);
      this.failing = true;
      this.nextAttempt = Date.now() + this.delay;
      this.delay = Math.min(this.delay * 2, this.o.retryMaxMs ?? 60_000);
    }
  }

  /** Waits for everything queued to reach the server, retrying for up to `timeoutMs`. */
  async flush(timeoutMs = 0): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      if (this.inFlight) await this.inFlight;
      if (!this.queue.length && this.ready) return true;
      if (Date.now() >= until) return false;
      const wait = Math.max(0, Math.min(this.nextAttempt - Date.now(), until - Date.now()));
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      this.nextAttempt = 0;
      this.kick();
    }
  }

  async uploadArtifacts(files: Array<[string, string]>): Promise<void> {
    if (!this.run) return;
    for (const [rel, file] of files) {
      if (!fs.existsSync(file)) continue;
      try {
        await this.client.uploadArtifact(this.run.artifact_uri, rel, fs.readFileSync(file));
      } catch (e) {
        this.issues.push(`artifact ${rel} not uploaded: ${(e as Error).message}`);
      }
    }
  }

  async finish(status: 'FINISHED' | 'FAILED' | 'KILLED', timeoutMs: number): Promise<boolean> {
    const ok = await this.flush(timeoutMs);
    if (this.run) {
      try {
        await this.client.updateRun(this.run.run_id, status, Date.now());
      } catch (e) {
        this.issues.push(`run status not updated: ${(e as Error).message}`);
      }
    }
    if (!ok) this.warn(`${this.queue.length} metrics could not reach MLflow; they are in metrics.jsonl and are sent by "distill train --resume" of this run`);
    return ok;
  }
}
