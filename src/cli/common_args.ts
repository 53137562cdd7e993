import type { Argv } from 'yargs';
import { BACKENDS } from '../backend/select_backend';

export interface CommonArgs {
  backend?: string;
  json?: boolean;
  verbose?: boolean;
}

/** Options every command takes. */
export function withCommonOptions<T>(y: Argv<T>): Argv<T & CommonArgs> {
  return y
    .option('backend', { type: 'string', choices: [...BACKENDS], describe: 'compute backend (default: best available; env DISTILL_BACKEND)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object instead of human output' })
    .option('verbose', { type: 'boolean', default: false, describe: "show TensorFlow's own start-up and info log lines (default: its errors only; env TF_CPP_MIN_LOG_LEVEL wins)" });
}
