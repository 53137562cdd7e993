import { formatError } from './format_error';

/** Every command prints human text by default and exactly one JSON object with --json. */
export interface OutputOptions {
  json?: boolean;
}

export function emit(opts: OutputOptions, result: Record<string, unknown>, human: () => string): void {
  if (opts.json) process.stdout.write(JSON.stringify(result) + '\n');
  else process.stdout.write(human() + '\n');
}

/**
 * Wraps a command handler. Bad input (DistillError) and OS errors a user can
 * fix (ENOSPC, EACCES, ...) print one line naming the file and exit 2; anything
 * else is a bug and prints its stack, exit 1 (see format_error.ts).
 * DISTILL_DEBUG=1 adds the stack to user errors too.
 */
export function runCommand<A extends OutputOptions>(fn: (args: A) => Promise<void>): (args: A) => Promise<void> {
  return async (args: A) => {
    try {
      await fn(args);
    } catch (e) {
      const f = formatError(e, !!process.env.DISTILL_DEBUG);
      if (args.json) process.stdout.write(JSON.stringify({ error: f.message, kind: f.kind }) + '\n');
      process.stderr.write(`error: ${f.text}\n`);
      process.exitCode = f.exitCode;
    }
  };
}
