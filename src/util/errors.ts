/**
 * The one error type the CLI prints without a stack trace: every message names
 * the file, key, line or tensor at fault and what was expected, so a user can
 * fix their input without reading our source. Throw it only for bad input
 * (a user's file, flag or config); a bug in our code must stay the error it
 * is, so the CLI prints its stack. `cause` keeps the underlying error (a JSON
 * parse error, an OS error) for anyone who needs more than the message.
 */
export class DistillError extends Error {
  constructor(message: string, readonly where?: string, options?: { cause?: unknown }) {
    super(where ? `${where}: ${message}` : message, options);
    this.name = 'DistillError';
  }
}

export function fail(where: string | undefined, message: string): never {
  throw new DistillError(message, where);
}
