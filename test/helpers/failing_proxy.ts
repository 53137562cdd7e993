import * as http from 'http';
import { ForwardingProxy } from './forwarding_proxy';

/** One `runs/log-batch` request that reached the proxy. */
export interface LogBatchSeen {
  params: Array<{ key: string; value: string }>;
  metrics: number;
  /** What the tracker got back: 503 when the proxy failed it, else the server's status. */
  status: number;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of a real MLflow server that answers
 * HTTP 503 (a transient failure, as from a load balancer) to the first
 * `failParams` log-batch requests that carry params, without
 * forwarding them, and forwards everything else unchanged.
 */
export class FailingProxy extends ForwardingProxy {
  readonly logBatches: LogBatchSeen[] = [];

  constructor(target: string, private failParams = 1) {
    super(target);
  }

  /** Params the server accepted through this proxy, in order (a key twice means it was sent twice). */
  get paramsForwarded(): Array<{ key: string; value: string }> {
    return this.logBatches.filter((b) => b.status === 200).flatMap((b) => b.params);
  }

  /** Fails the next `n` log-batch requests that carry params (again). */
  failParamsBatches(n: number): void {
    this.failParams = n;
  }

  get failuresInjected(): number {
    return this.logBatches.filter((b) => b.status === 503).length;
  }

  protected async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    const seen = req.url?.endsWith('/runs/log-batch') ? this.parseLogBatch(body) : null;
    if (seen && seen.params.length && this.failParams > 0) {
      this.failParams--;
      seen.status = 503;
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected by the test proxy' }));
      return;
    }
    const status = await this.forward(req, body, res);
    if (seen) seen.status = status;
  }

  private parseLogBatch(body: Buffer): LogBatchSeen {
    const j = JSON.parse(body.toString('utf8') || '{}');
    const seen = { params: j.params ?? [], metrics: (j.metrics ?? []).length, status: 0 };
    this.logBatches.push(seen);
    return seen;
  }
}
