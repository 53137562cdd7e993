import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { ROOT, tmpDir } from './env';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** A real `mlflow server` from the project's Python environment: sqlite backend, artifact proxy on, loopback only. */
export class MlflowServer {
  private proc: ChildProcess | null = null;
  readonly dir = tmpDir('mlflow-');

  constructor(readonly port: number) {}

  get uri(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  start(): void {
    const mlflow = path.join(ROOT, '.venv', 'bin', 'mlflow');
    if (!fs.existsSync(mlflow)) throw new Error(`${mlflow} missing: run "npm run setup"`);
    this.proc = spawn(mlflow, ['server', '--backend-store-uri', `sqlite:///${path.join(this.dir, 'mlflow.db')}`, '--artifacts-destination', path.join(this.dir, 'artifacts'),
      '--host', '127.0.0.1', '--port', String(this.port), '--workers', '1'], { cwd: this.dir, stdio: ['ignore', fs.openSync(path.join(this.dir, 'server.log'), 'a'), fs.openSync(path.join(this.dir, 'server.log'), 'a')], detached: true });
  }

  async ready(timeoutMs = 90_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      try {
        // Ready means the tracking API answers, not just the health route.
        const r = await fetch(`${this.uri}/api/2.0/mlflow/experiments/search`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"max_results": 1}', signal: AbortSignal.timeout(2000) });
        if (r.ok) return;
      } catch {
        /* not up yet */
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`mlflow server did not start; log: ${fs.readFileSync(path.join(this.dir, 'server.log'), 'utf8').slice(-2000)}`);
  }

  async stop(): Promise<void> {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    const exited = new Promise((r) => p.on('exit', r));
    try {
      process.kill(-p.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await exited;
    // The port must actually be free before a restart binds it again.
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${this.uri}/health`, { signal: AbortSignal.timeout(200) });
        await new Promise((r) => setTimeout(r, 100));
      } catch {
        return;
      }
    }
  }
}

/** A real MLflow server on a free port, answering its API. */
export async function startMlflowServer(): Promise<MlflowServer> {
  const server = new MlflowServer(await freePort());
  server.start();
  await server.ready();
  return server;
}
