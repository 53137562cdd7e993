/**
 * The one error type the CLI prints without a stack trace: every message names
 * the file, key, line or tensor at fault and what was expected, so a user can
 * fix their input without reading our source.
 */
export class DistillError extends Error {
  constructor(message: string, readonly where?: string) {
    super(where ? `${where}: ${message}` : message);
    this.name = 'DistillError';
  }
}

export function fail(where: string | undefined, message: string): never {
  throw new DistillError(message, where);
}
