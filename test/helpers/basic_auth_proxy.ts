import * as http from 'http';
import { ForwardingProxy } from './forwarding_proxy';

/**
 * An HTTP proxy on 127.0.0.1 that requires HTTP basic auth (as a reverse
 * proxy or MLflow's basic-auth app would) and forwards authorized requests
 * to a real MLflow server; anything else gets 401.
 */
export class BasicAuthProxy extends ForwardingProxy {
  authorized = 0;
  /** Requests without the right credentials. */
  refused = 0;

  constructor(target: string, private readonly user: string, private readonly password: string) {
    super(target);
  }

  protected async handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`) {
      this.refused++;
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="mlflow"', 'Content-Type': 'text/plain' }).end('You are not authenticated.');
      return;
    }
    this.authorized++;
    await this.forward(req, body, res);
  }
}
