import * as http from 'http';
import * as net from 'net';

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
export class FailingProxy {
  private server: http.Server | null = null;
  private port = 0;
  readonly logBatches: LogBatchSeen[] = [];

  constructor(private readonly target: string, private failParams = 1) {}

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
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

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    const s = this.server;
    this.server = null;
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const seen = req.url?.endsWith('/runs/log-batch') ? this.parseLogBatch(body) : null;
    if (seen && seen.params.length && this.failParams > 0) {
      this.failParams--;
      seen.status = 503;
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'injected by the test proxy' }));
      return;
    }
    try {
      const upstream = await fetch(`${this.target}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? 'application/json' },
        body: body.length ? body : undefined,
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      if (seen) seen.status = upstream.status;
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' }).end(out);
    } catch (e) {
      if (seen) seen.status = 502;
      res.writeHead(502).end(String(e));
    }
  }

  private parseLogBatch(body: Buffer): LogBatchSeen {
    const j = JSON.parse(body.toString('utf8') || '{}');
    const seen = { params: j.params ?? [], metrics: (j.metrics ?? []).length, status: 0 };
    this.logBatches.push(seen);
    return seen;
  }
}
