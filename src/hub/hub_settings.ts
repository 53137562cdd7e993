import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { getHFHubCachePath } from '@huggingface/hub';
import { DistillError } from '../util/errors';

/** The huggingface_hub environment (HF_HUB_CACHE/HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE), read as Python reads it. */
export interface HubSettings {
  cacheDir: string;
  endpoint: string;
  token?: string;
  offline: boolean;
}

export function hubSettings(): HubSettings {
  const env = process.env;
  const token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || savedToken();
  if (token && !token.startsWith('hf_')) throw new DistillError('the Hub token must start with "hf_" (copy it from https://huggingface.co/settings/tokens)', 'HF_TOKEN');
  return {
    cacheDir: getHFHubCachePath(),
    endpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    token,
    offline: ['1', 'on', 'yes', 'true'].includes((env.HF_HUB_OFFLINE ?? '').trim().toLowerCase()),
  };
}

/** `huggingface-cli login` stores the token at $HF_HOME/token (HF_TOKEN_PATH overrides). */
function savedToken(): string | undefined {
  const env = process.env;
  const home = env.HF_HOME ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'huggingface');
  try {
    return fs.readFileSync(env.HF_TOKEN_PATH ?? path.join(home, 'token'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
