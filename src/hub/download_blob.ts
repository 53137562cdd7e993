import * as crypto from 'crypto';
import * as fs from 'fs';
import { DistillError } from '../util/errors';
import { FileLock } from '../util/file_lock';

/** Bytes of a file still to fetch, from `offset` on (a Range request when offset > 0). */
export type ByteSource = (offset: number) => ReadableStream<Uint8Array>;

/**
 * Downloads one blob into `target`, atomically and resumably: bytes go to
 * `target.incomplete` (Python huggingface_hub's name, so either side resumes
 * the other's partial file); only when the file on disk has the right size,
 * and for an LFS blob (64-hex etag) the right SHA-256, is it renamed to
 * `target`. A dropped connection leaves the partial file for the next try to
 * continue; a file that fails verification is deleted, so nothing wrong is
 * ever named as the blob. The file is verified as it lies on disk, not as it
 * was received, and a lock keeps a second process (parallel cache-teacher
 * shards) from appending to the same partial file meanwhile.
 */
export async function downloadBlob(target: string, size: number, etag: string, source: ByteSource, onBytes: (n: number) => void): Promise<void> {
  const partial = `${target}.incomplete`;
  const lock = await FileLock.acquireWhenFree(`${partial}.lock`, { what: 'download', where: partial });
  try {
    if (fs.existsSync(target)) return onBytes(size);
    let have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    if (have > size) fs.rmSync(partial);
    have = have > size ? 0 : have;
    onBytes(have);
    if (have < size) await append(partial, source(have), onBytes);
    await verify(partial, size, etag);
    fs.renameSync(partial, target);
  } finally {
    lock.release();
  }
}

async function append(file: string, chunks: ReadableStream<Uint8Array>, onBytes: (n: number) => void): Promise<void> {
  const fd = fs.openSync(file, 'a');
  try {
    for await (const chunk of chunks as unknown as AsyncIterable<Uint8Array>) {
      writeAll(fd, chunk, file);
      onBytes(chunk.length);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

async function verify(file: string, size: number, etag: string): Promise<void> {
  const have = fs.statSync(file).size;
  let problem = have === size ? undefined : `got ${have} bytes, expected ${size}`;
  if (!problem && /^[0-9a-f]{64}$/.test(etag)) {
    const hash = crypto.createHash('sha256');
    for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
    const sha = hash.digest('hex');
    if (sha !== etag) problem = `SHA-256 ${sha} does not match the Hub's ${etag}`;
  }
  if (problem) {
    fs.rmSync(file, { force: true });
    throw new DistillError(`${problem}; deleted it: run again to download it afresh`, file);
  }
}

/** write(2) errors name no file: add the path, so a full disk (ENOSPC) says which cache it filled. */
function writeAll(fd: number, bytes: Uint8Array, file: string): void {
  let off = 0;
  while (off < bytes.length) {
    let n: number;
    try {
      n = fs.writeSync(fd, bytes, off, bytes.length - off);
    } catch (e) {
      throw Object.assign(e as Error, { path: file, message: `${(e as Error).message}, write '${file}'` });
    }
    if (n <= 0) throw Object.assign(new Error(`${file}: write returned ${n}`), { code: 'EIO', path: file });
    off += n;
  }
}
