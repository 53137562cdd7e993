import { trackingEndpoint } from './tracking_endpoint';

/** A typed client for the MLflow REST API (2.x / 3.x), with auth from the URI's user info or the standard environment variables. */

export interface MlflowMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  status: string;
  artifact_uri: string;
}

export class MlflowError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
    this.name = 'MlflowError';
  }

  /** Worth retrying later: the server is unreachable, overloaded or failing. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

/** MLflow's documented per-request limits for log-batch. */
export const LIMITS = { metricsPerBatch: 1000, paramsPerBatch: 100, tagsPerBatch: 100, keyLength: 250, paramValueLength: 6000, tagValueLength: 5000 };
export const KEY_PATTERN = /^[/\w.\- ]*$/;

export class MlflowClient {
  private readonly base: string;
  private readonly display: string;
  private readonly headers: Record<string, string>;

  constructor(uri: string, private readonly timeoutMs = 10_000, env: NodeJS.ProcessEnv = process.env) {
    const endpoint = trackingEndpoint(uri, env);
    this.base = endpoint.base;
    this.display = endpoint.display;
    this.headers = { 'Content-Type': 'application/json' };
    if (endpoint.authorization) this.headers.Authorization = endpoint.authorization;
  }

  /** The server's URI as it may be printed and saved (a password in it redacted). */
  get uri(): string {
    return this.display;
  }

  private async request<T>(method: string, path: string, body?: unknown, raw?: Buffer, contentType?: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: raw ? { ...this.headers, 'Content-Type': contentType ?? 'application/octet-stream' } : this.headers,
        body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      throw new MlflowError(`MLflow at ${this.display} unreachable (${(e as Error).cause ? ((e as Error).cause as Error).message : (e as Error).message})`, 0);
    }
    const text = await res.text();
    if (!res.ok) {
      let code: string | undefined;
      let message = text;
      try {
        const j = JSON.parse(text);
        code = j.error_code;
        message = j.message ?? text;
      } catch {
        /* not JSON */
      }
      throw new MlflowError(`MLflow ${method} ${path}: HTTP ${res.status} ${code ?? ''} ${message.slice(0, 300)}`, res.status, code);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  async getOrCreateExperiment(name: string): Promise<string> {
    try {
      const r = await this.request<{ experiment: { experiment_id: string } }>('GET', `/api/2.0/mlflow/experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
      return r.experiment.experiment_id;
    } catch (e) {
      if (!(e instanceof MlflowError) || e.code !== 'RESOURCE_DOES_NOT_EXIST') throw e;
    }
    try {
      return (await this.request<{ experiment_id: string }>('POST', '/api/2.0/mlflow/experiments/create', { name })).experiment_id;
    } catch (e) {
      // Another process created it between our two calls.
      if (e instanceof MlflowError && e.code === 'RESOURCE_ALREADY_EXISTS') return this.getOrCreateExperiment(name);
      throw e;
    }
  }

  async createRun(experimentId: string, runName: string, tags: Record<string, string>, startTime = Date.now()): Promise<MlflowRunInfo> {
    const r = await this.request<{ run: { info: MlflowRunInfo } }>('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId, run_name: runName, start_time: startTime, tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    return r.run.info;
  }

  /** The newest run of an experiment whose tag `key` (a plain identifier) equals `value`, or null. */
  async findRunByTag(experimentId: string, key: string, value: string): Promise<MlflowRunInfo | null> {
    const r = await this.request<{ runs?: Array<{ info: MlflowRunInfo }> }>('POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experimentId], filter: `tags.${key} = '${value.replace(/'/g, "\\'")}'`, max_results: 1, order_by: ['attributes.start_time DESC'],
    });
    return r.runs?.[0]?.info ?? null;
  }

  async getRun(runId: string): Promise<{ info: MlflowRunInfo; data: { params?: Array<{ key: string; value: string }>; tags?: Array<{ key: string; value: string }>; metrics?: MlflowMetric[] } }> {
    return (await this.request<{ run: never }>('GET', `/api/2.0/mlflow/runs/get?run_id=${encodeURIComponent(runId)}`)).run;
  }

  async updateRun(runId: string, status: 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED', endTime?: number): Promise<void> {
    await this.request('POST', '/api/2.0/mlflow/runs/update', { run_id: runId, status, end_time: endTime });
  }

  async logBatch(runId: string, b: { metrics?: MlflowMetric[]; params?: Array<{ key: string; value: string }>; tags?: Array<{ key: string; value: string }> }): Promise<void> {
    await this.request('POST', '/api/2.0/mlflow/runs/log-batch', { run_id: runId, metrics: b.metrics ?? [], params: b.params ?? [], tags: b.tags ?? [] });
  }

  async metricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    const out: MlflowMetric[] = [];
    let token: string | undefined;
    do {
      const q = `run_id=${encodeURIComponent(runId)}&metric_key=${encodeURIComponent(key)}&max_results=25000${token ? `&page_token=${encodeURIComponent(token)}` : ''}`;
      const r = await this.request<{ metrics?: MlflowMetric[]; next_page_token?: string }>('GET', `/api/2.0/mlflow/metrics/get-history?${q}`);
      out.push(...(r.metrics ?? []));
      token = r.next_page_token;
    } while (token);
    return out;
  }

  /** The proxy path of an artifact: the run's artifact_uri without the mlflow-artifacts: scheme and authority. */
  static artifactPath(artifactUri: string, rel: string): string {
    const m = /^mlflow-artifacts:(?:\/\/[^/]+)?\/?(.*)$/.exec(artifactUri);
    if (!m) throw new MlflowError(`artifact_uri "${artifactUri}" is not served by the artifact proxy (start the server with artifact serving on)`, 400);
    return `${m[1].replace(/\/+$/, '')}/${rel}`.replace(/^\/+/, '');
  }

  async uploadArtifact(artifactUri: string, rel: string, bytes: Buffer): Promise<void> {
    const p = MlflowClient.artifactPath(artifactUri, rel).split('/').map(encodeURIComponent).join('/');
    await this.request('PUT', `/api/2.0/mlflow-artifacts/artifacts/${p}`, undefined, bytes);
  }

  async downloadArtifact(artifactUri: string, rel: string): Promise<Buffer> {
    const p = MlflowClient.artifactPath(artifactUri, rel).split('/').map(encodeURIComponent).join('/');
    const res = await fetch(`${this.base}/api/2.0/mlflow-artifacts/artifacts/${p}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new MlflowError(`artifact ${rel}: HTTP ${res.status}`, res.status);
    return Buffer.from(await res.arrayBuffer());
  }
}
