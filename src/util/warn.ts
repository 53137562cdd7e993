/** The default for a `warn` hook: one `warning:` line on stderr (the CLI's convention for non-fatal problems). */
export function warnToStderr(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}
