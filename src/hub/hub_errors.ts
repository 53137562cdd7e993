import { HubApiError } from '@huggingface/hub';
import { DistillError } from '../util/errors';

const NETWORK_CODES = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'];

/** The OS/undici code behind a failed fetch ("fetch failed" hides it in `cause`), if it is a network failure. */
export function networkCode(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 4; c = (c as { cause?: unknown }).cause, depth++) {
    const code = (c as { code?: string }).code;
    if (code && NETWORK_CODES.includes(code)) return code;
  }
  if (e instanceof TypeError && /fetch failed|terminated/.test(e.message)) return 'connection lost';
  return undefined;
}

export interface HubContext {
  repo: string;
  revision: string;
  endpoint: string;
  file?: string;
  tokenSet: boolean;
  /** What a user could run offline instead (cachedRevisions). */
  cached: () => string[];
}

/** A Hub or network failure as one line that says what to do; anything else is rethrown as it is. */
export function hubError(e: unknown, c: HubContext): Error {
  const what = c.file ? `file "${c.file}" of ${c.repo}@${c.revision}` : `${c.repo}@${c.revision}`;
  if (e instanceof HubApiError) {
    if (e.statusCode === 404) return new DistillError(`${what} not found on ${c.endpoint} (HTTP 404): check the model id${c.file ? ' and that the repository has this file' : ` and revision (no folder named "${c.repo}" exists here either)`}`, c.repo, { cause: e });
    if (e.statusCode === 401 || e.statusCode === 403) {
      const fix = c.tokenSet ? 'HF_TOKEN is set but was refused: use a token with read access to this repository, and accept its terms on the Hub if it is gated' : 'the repository is gated or private (or does not exist): accept its terms on the Hub and set HF_TOKEN to a read token (https://huggingface.co/settings/tokens)';
      return new DistillError(`access to ${what} denied by ${c.endpoint} (HTTP ${e.statusCode}): ${fix}`, c.repo, { cause: e });
    }
    return new DistillError(`${c.endpoint} answered HTTP ${e.statusCode} for ${what}: ${e.message}`, c.repo, { cause: e });
  }
  const code = networkCode(e);
  if (code) {
    const cached = c.cached();
    const offline = cached.length
      ? `revisions in the cache that work offline (set HF_HUB_OFFLINE=1): ${cached.join(', ')}`
      : 'nothing of this repository is in the cache yet, so it cannot be used offline';
    return new DistillError(`cannot reach ${c.endpoint} for ${what} (${code}); ${offline}`, c.repo, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
