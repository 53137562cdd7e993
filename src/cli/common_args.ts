import type { Argv } from 'yargs';
import { BACKENDS } from '../backend/select_backend';

export interface CommonArgs {
  backend?: string;
  json?: boolean;
}

/** Options every command takes. */
export function withCommonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('backend', { type: 'string', choices: [...BACKENDS], describe: 'compute backend (default: best available; env DISTILL_BACKEND)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of human output' });
}
