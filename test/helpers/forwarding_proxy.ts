import * as http from 'http';
import * as net from 'net';

/**
 * An HTTP server on 127.0.0.1 in front of a real server (MLflow): subclasses
 * decide per request, with its body read, whether to answer it themselves or
 * `forward` it unchanged; the tests' stand-ins for a load balancer or an
 * auth proxy.
 */
export abstract class ForwardingProxy {
  private server: http.Server | null = null;
  private port = 0;

  constructor(protected readonly target: string) {}

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.receive(req, res));
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

  protected abstract handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void>;

  /** Sends the request on to the target and its answer back; returns the status the client got (502 if the target failed). */
  protected async forward(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<number> {
    try {
      const upstream = await fetch(`${this.target}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? 'application/json' },
        body: body.length ? body : undefined,
      });
      const out = Buffer.from(await upstream.arrayBuffer());
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' }).end(out);
      return upstream.status;
    } catch (e) {
      res.writeHead(502).end(String(e));
      return 502;
    }
  }

  private async receive(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    await this.handle(req, Buffer.concat(chunks), res);
  }
}
