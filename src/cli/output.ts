import { DistillError } from '../util/errors';

/** Every command prints human text by default and exactly one JSON object with --json. */
export interface OutputOptions {
  json?: boolean;
}

export function emit(opts: OutputOptions, result: Record<string, unknown>, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(human() + '\n');
}

/** Wraps a command handler: a DistillError is a user error (exit 2, no stack), anything else a bug (exit 1). */
export function runCommand<A extends OutputOptions>(fn: (args: A) => Promise<void>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      await fn(args);
    } catch (e) {
      const user = e instanceof DistillError;
      const message = (e as Error).message;
      if (args.json) process.stdout.write(JSON.stringify({ error: message, kind: user ? 'input' : 'internal' }) + '\n');
      process.stderr.write(`error: ${message}\n`);
      if (!user && process.env.DISTILL_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
      process.exitCode = user ? 2 : 1;
    }
  };
}
