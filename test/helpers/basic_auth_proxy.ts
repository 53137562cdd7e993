import * as http from 'http';
import * as net from 'net';

/**
 * An HTTP proxy on 127.0.0.1 that requires HTTP basic auth (as a reverse
 * proxy or MLflow's basic-auth app would) and forwards authorized requests
 * to a real MLflow server; anything else gets 401.
 */
export class BasicAuthProxy {
  private server: http.Server | null = null;
  private port = 0;
  authorized = 0;
  /** Requests without the right credentials. */
  refused = 0;

  constructor(private readonly target: string, private readonly user: string, private readonly password: string) {}

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
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
    if (req.headers.authorization !== `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`) {
      this.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mlflow"', 'Content-Type': 'text/plain' }).end('You are not authenticated.');
      return;
    }
    this.authorized++;
    try {
      const upstream = await fetch(`${this.target}${req.url}`, {
        method: req.method,
        headers: { 'Content-Type': req.headers['content-type'] ?? 'application/json' },
        body: body.length ? body : undefined,
      });
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await upstream.arrayBuffer()));
    } catch (e) {
      res.writeHead(502).end(String(e));
    }
  }
}
