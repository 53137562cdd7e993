import * as crypto from 'crypto';
import * as fs from 'fs';

/** Bytes of a file still to fetch, from `offset` on (a Range request when offset > 0). */
export type ByteSource = (offset: number) => ReadableStream<Uint8Array>;

/**
 * Downloads one blob into `target`, atomically and resumably: bytes go to
 * `target.incomplete` (Python huggingface_hub's name, so either side resumes
 * the other's partial file); only when the size matches, and for an LFS blob
 * (64-hex etag) the SHA-256 too, is it fsynced and renamed to `target`. A
 * dropped connection leaves the partial file for the next try to continue;
 * a blob that fails verification is deleted, so nothing wrong is ever named
 * as the blob.
 */
export async function downloadBlob(target: string, size: number, etag: string, source: ByteSource, onBytes: (n: number) => void): Promise<void> {
  const partial = `${target}.incomplete`;
  let have = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
  if (have > size) {
    fs.rmSync(partial);
    have = 0;
  }
  const hash = crypto.createHash('sha256');
  if (have > 0) hash.update(fs.readFileSync(partial));
  onBytes(have);
  const fd = fs.openSync(partial, 'a');
  try {
    if (have < size) {
      for await (const chunk of source(have) as unknown as AsyncIterable<Uint8Array>) {
        writeAll(fd, chunk, partial);
        hash.update(chunk);
        have += chunk.length;
        onBytes(chunk.length);
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const sha = hash.digest('hex');
  if (have !== size || (/^[0-9a-f]{64}$/.test(etag) && sha !== etag)) {
    fs.rmSync(partial, { force: true });
    throw new Error(have !== size ? `got ${have} bytes, expected ${size}` : `SHA-256 ${sha} does not match the Hub's ${etag}`);
  }
  fs.renameSync(partial, target);
}

function writeAll(fd: number, bytes: Uint8Array, file: string): void {
  let off = 0;
  while (off < bytes.length) {
    const n = fs.writeSync(fd, bytes, off, bytes.length - off);
    if (n <= 0) throw Object.assign(new Error(`${file}: write returned ${n}`), { code: 'EIO', path: file });
    off += n;
  }
}
