import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Atomic writes: a reader (a later run, a resume, a server) sees either the
 * old file or folder or the complete new one, never a torn one. Content goes
 * to a temporary sibling (same folder, so rename(2) is atomic), is fsynced,
 * renamed into place, and the parent folder is fsynced so the rename itself
 * survives a power cut. On any failure the temporary is removed and the
 * error rethrown, with `path` naming the target rather than the temporary.
 */

/** What `writeFileAtomic` writes: bytes, text, or chunks produced one at a time (large JSONL). */
export type FileContent = string | Uint8Array | Iterable<string | Uint8Array>;

/** Sibling temporary name; `.tmp-` marks it as never to be read (the teacher cache skips such names). */
export function tempSibling(target: string): string {
  return `${target.replace(/\/+$/, '')}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

export function writeFileAtomic(file: string, content: FileContent): void {
  const tmp = tempSibling(file);
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      writeContent(fd, content);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    fsyncDir(path.dirname(file));
  } catch (e) {
    removeQuietly(tmp);
    throw retarget(e, tmp, file);
  }
}

/**
 * A plain (not atomic) write for files inside a folder being built by
 * `writeDirAtomic`, which fsyncs and swaps the folder as a whole. Unlike
 * fs.writeFileSync it checks the byte count, and its errors carry the file's
 * path (write(2) errors otherwise name no file), so ENOSPC says which file.
 */
export function writeFileChecked(file: string, content: FileContent): void {
  try {
    const fd = fs.openSync(file, 'w');
    try {
      writeContent(fd, content);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw retarget(e, file, file);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/**
 * Builds a folder in a temporary sibling with `build(tmp)`, then swaps it into
 * place (replacing an existing `dir`). A failing `build` leaves `dir` as it was.
 */
export function writeDirAtomic(dir: string, build: (tmp: string) => void): void {
  const tmp = startTempDir(dir);
  try {
    build(tmp);
    commitTempDir(tmp, dir);
  } catch (e) {
    removeQuietly(tmp);
    throw retarget(e, tmp, dir);
  }
}

/** `writeDirAtomic` for a builder that awaits (export verifies the folder before committing it). */
export async function writeDirAtomicAsync<T>(dir: string, build: (tmp: string) => Promise<T>): Promise<T> {
  const tmp = startTempDir(dir);
  try {
    const result = await build(tmp);
    commitTempDir(tmp, dir);
    return result;
  } catch (e) {
    removeQuietly(tmp);
    throw retarget(e, tmp, dir);
  }
}

/** Cleanup after a failure must not replace the error that caused it (rm of a path under a file throws ENOTDIR). */
function removeQuietly(p: string): void {
  try {
    fs.rmSync(p, { recursive: true, force: true });
  } catch {
    /* the original error is what the caller needs */
  }
}

function startTempDir(dir: string): string {
  const tmp = tempSibling(dir);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  fs.mkdirSync(tmp);
  return tmp;
}

/** fsync every file, swap `tmp` into `dir` (keeping the old one until the new one is in place), fsync the parent. */
function commitTempDir(tmp: string, dir: string): void {
  fsyncTree(tmp);
  const old = fs.existsSync(dir) ? tempSibling(dir).replace('.tmp-', '.old-') : undefined;
  if (old) fs.renameSync(dir, old);
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    if (old) fs.renameSync(old, dir);
    throw e;
  }
  fsyncDir(path.dirname(path.resolve(dir)));
  if (old) fs.rmSync(old, { recursive: true, force: true });
}

function writeContent(fd: number, content: FileContent): void {
  const chunks = typeof content === 'string' || content instanceof Uint8Array ? [content] : content;
  for (const c of chunks) writeAll(fd, typeof c === 'string' ? Buffer.from(c, 'utf8') : c);
}

/** A short write is not an error to write(2); loop until every byte is down, and treat "0 written" as one. */
function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) {
    const n = fs.writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n} with ${bytes.length - off} bytes left`), { code: 'EIO' });
    off += n;
  }
}

function fsyncTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else if (e.isFile()) fsyncPath(p, 'r');
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  try {
    fsyncPath(dir, 'r');
  } catch (e) {
    // Some platforms and file systems (Windows, some network mounts) cannot fsync a folder; the rename still happened.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  }
}

function fsyncPath(p: string, flags: string): void {
  const fd = fs.openSync(p, flags);
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * An OS error about the temporary (or a file inside it) is reported against
 * the target the user named: "out/model.onnx: no space left", not the temp.
 * `write` errors carry no path at all; they get the target's.
 */
function retarget(e: unknown, tmp: string, target: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (!(err instanceof Error) || typeof err.code !== 'string') return e;
  if (err.path === undefined) err.path = target;
  else if (err.path.startsWith(tmp)) err.path = target + err.path.slice(tmp.length);
  return e;
}
