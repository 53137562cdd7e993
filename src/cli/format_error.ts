import { DistillError } from '../util/errors';
import { WriteError } from '../util/while_writing';
import { redactCredentials } from '../util/redact_credentials';

/**
 * OS errors a user fixes themselves (free space, permissions, a wrong path,
 * a file-size limit), with the words they are told. Anything else the OS
 * says is reported as internal, with its stack.
 */
export const USER_OS_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large (file-size limit, ulimit -f?)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent of this path is not a folder',
  EISDIR: 'is a folder, expected a file',
  EEXIST: 'already exists (a file where a folder is needed?)',
};

export interface FormattedError {
  /** 2: bad input or a fixable OS condition; 1: a bug. */
  exitCode: 1 | 2;
  kind: 'input' | 'internal';
  /** One line for --json and for the first line on stderr. */
  message: string;
  /** What goes to stderr after "error: ": the message, or the stack for a bug. */
  text: string;
}

/** The CLI's one decision about an error: whose fault it is, and how much to show (never a password from a URI). */
export function formatError(e: unknown, debug = false): FormattedError {
  const f = classifyError(e, debug);
  return { ...f, message: redactCredentials(f.message), text: redactCredentials(f.text) };
}

function classifyError(e: unknown, debug: boolean): FormattedError {
  if (e instanceof DistillError) {
    return { exitCode: 2, kind: 'input', message: e.message, text: debug ? fullStack(e) : e.message };
  }
  const os = userOsError(e);
  if (os) return { exitCode: 2, kind: 'input', message: os, text: debug ? `${os}\n${fullStack(e as Error)}` : os };
  const message = e instanceof Error ? e.message : String(e);
  return { exitCode: 1, kind: 'internal', message, text: e instanceof Error ? fullStack(e) : message };
}

/** "run/metrics.jsonl: no space left on device (ENOSPC) while writing metrics log entry", or undefined if not a user-fixable OS error. */
function userOsError(e: unknown): string | undefined {
  const err = e as WriteError;
  if (!(err instanceof Error) || typeof err.code !== 'string' || !(err.code in USER_OS_ERRORS)) return undefined;
  const cause = `${USER_OS_ERRORS[err.code]} (${err.code})${err.writing ? ` while writing ${err.writing}` : ''}`;
  return err.path ? `${err.path}: ${cause}` : `${cause} in ${err.syscall ?? 'a file operation'}`;
}

/** The stack, then each `cause` in turn, so a wrapped bug is not lost. */
function fullStack(e: Error): string {
  let text = e.stack ?? `${e.name}: ${e.message}`;
  for (let c = e.cause, depth = 0; c !== undefined && depth < 5; c = c instanceof Error ? c.cause : undefined, depth++) {
    text += `\ncaused by: ${c instanceof Error ? c.stack ?? c.message : String(c)}`;
  }
  return text;
}
