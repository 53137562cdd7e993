import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DistillError } from './errors';
import { writeFileChecked } from './atomic_write';

/**
 * A folder's manifest: the size and sha256 of every file in it, written last
 * into a folder being built by `writeDirAtomic`. A folder whose files no
 * longer match (a flipped bit, a truncated or missing file) is refused with
 * the file named, instead of being loaded as good.
 */
export const MANIFEST_FILE = 'manifest.json';

interface Manifest {
  version: 1;
  files: Record<string, { size: number; sha256: string }>;
}

export function sha256File(file: string): string {
  const hash = crypto.createHash('sha256');
  const buf = Buffer.alloc(1 << 20);
  const fd = fs.openSync(file, 'r');
  try {
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

function listFiles(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? listFiles(dir, r) : e.isFile() && r !== MANIFEST_FILE ? [r] : [];
  });
}

/** Hashes every file now in `dir` into `dir/manifest.json` (call it after the last file is written). */
export function writeManifest(dir: string): void {
  const files: Manifest['files'] = {};
  for (const rel of listFiles(dir).sort()) {
    const file = path.join(dir, rel);
    files[rel] = { size: fs.statSync(file).size, sha256: sha256File(file) };
  }
  writeFileChecked(path.join(dir, MANIFEST_FILE), JSON.stringify({ version: 1, files } satisfies Manifest, null, 2) + '\n');
}

/**
 * Checks every file listed in `dir/manifest.json`; returns false when there is
 * no manifest (a folder written before manifests existed, left to the caller).
 */
export function verifyManifest(dir: string): boolean {
  const mf = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(mf)) return false;
  let m: Manifest;
  try {
    m = JSON.parse(fs.readFileSync(mf, 'utf8'));
  } catch (e) {
    throw new DistillError(`corrupt manifest (${(e as Error).message})`, mf, { cause: e });
  }
  if (!m || m.version !== 1 || typeof m.files !== 'object' || m.files === null) throw new DistillError('corrupt manifest: expected version 1 with files', mf);
  for (const [rel, want] of Object.entries(m.files)) {
    const file = path.join(dir, rel);
    if (!fs.existsSync(file)) throw new DistillError(`missing (listed in ${MANIFEST_FILE})`, file);
    const size = fs.statSync(file).size;
    if (size !== want.size) throw new DistillError(`${size} bytes, ${MANIFEST_FILE} says ${want.size} (truncated or overwritten)`, file);
    const sha = sha256File(file);
    if (sha !== want.sha256) throw new DistillError(`checksum mismatch (sha256 ${sha.slice(0, 12)}…, ${MANIFEST_FILE} says ${String(want.sha256).slice(0, 12)}…): the file is corrupt`, file);
  }
  return true;
}
