import { DistillError } from '../util/errors';
import { REDACTED, redactCredentials } from '../util/redact_credentials';

/** Where and how to reach an MLflow server. */
export interface TrackingEndpoint {
  /** The URI without user info: what requests go to (fetch refuses URLs with credentials). */
  base: string;
  /** The URI as it may be printed and saved: a password replaced by ***. */
  display: string;
  /** The Authorization header value, when there are credentials. */
  authorization?: string;
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/**
 * Splits a tracking URI into the server address and HTTP auth. Credentials
 * come from the URI's user info (`http://user:pw@host`), else from
 * MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME /
 * MLFLOW_TRACKING_PASSWORD (basic), as the MLflow client reads them. A URI
 * with a user but no password, or whose password was redacted (a resumed run's config.resolved.json) takes
 * the password from MLFLOW_TRACKING_PASSWORD.
 */
export function trackingEndpoint(uri: string, env: NodeJS.ProcessEnv = process.env): TrackingEndpoint {
  const display = redactCredentials(uri).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { base: display, display, authorization: envAuthorization(env) };
  }
  if (!url.username && !url.password) return { base: display, display, authorization: envAuthorization(env) };
  const user = decodeURIComponent(url.username);
  let password = url.password ? decodeURIComponent(url.password) : env.MLFLOW_TRACKING_PASSWORD ?? '';
  if (password === REDACTED) {
    if (env.MLFLOW_TRACKING_PASSWORD === undefined) {
      throw new DistillError(`the tracking URI's password was not saved with the run (it is never written to disk); set MLFLOW_TRACKING_PASSWORD, or resume with --config pointing at the config that has it`, 'tracking.mlflow_uri');
    }
    password = env.MLFLOW_TRACKING_PASSWORD;
  }
  url.username = '';
  url.password = '';
  return { base: url.toString().replace(/\/+$/, ''), display, authorization: basic(user, password) };
}

function envAuthorization(env: NodeJS.ProcessEnv): string | undefined {
  if (env.MLFLOW_TRACKING_TOKEN) return `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  if (env.MLFLOW_TRACKING_USERNAME) return basic(env.MLFLOW_TRACKING_USERNAME, env.MLFLOW_TRACKING_PASSWORD ?? '');
  return undefined;
}
