/**
 * Names what was being written on an OS error, so a full disk reads as
 * "run/checkpoints/step-0000020/optimizer.safetensors: no space left on device
 * (ENOSPC) while writing checkpoint" rather than a bare ENOSPC. The error
 * stays the OS error (its code and path are what callers test); the CLI's
 * formatError prints `writing`. The innermost label wins: it is the most
 * specific.
 */
export interface WriteError extends NodeJS.ErrnoException {
  writing?: string;
}

export function labelWriteError(e: unknown, what: string): unknown {
  const err = e as WriteError;
  if (err instanceof Error && typeof err.code === 'string' && err.writing === undefined) err.writing = what;
  return e;
}

export function whileWriting<T>(what: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw labelWriteError(e, what);
  }
}

export async function whileWritingAsync<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    throw labelWriteError(e, what);
  }
}
