import * as fs from 'fs';
import * as path from 'path';
import { getRepoFolderName } from '@huggingface/hub';
import { tempSibling, writeFileAtomic } from '../util/atomic_write';

/**
 * The huggingface_hub cache layout, shared with Python:
 * `models--org--name/blobs/<etag>` holds content, `snapshots/<commit>/<file>`
 * are relative symlinks to blobs, and `refs/<branch|tag>` holds a commit sha.
 * A snapshot link is made only once its blob is complete and verified, so
 * whatever a snapshot holds can be trusted.
 */
export function repoFolder(cacheDir: string, repo: string): string {
  return path.join(cacheDir, getRepoFolderName({ type: 'model', name: repo }));
}

export const COMMIT_SHA = /^[0-9a-f]{40}$/;

export function readRef(folder: string, revision: string): string | undefined {
  if (COMMIT_SHA.test(revision)) return revision;
  try {
    const sha = fs.readFileSync(path.join(folder, 'refs', revision), 'utf8').trim();
    return COMMIT_SHA.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

export function writeRef(folder: string, revision: string, commit: string): void {
  if (revision === commit) return;
  const file = path.join(folder, 'refs', revision);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, commit);
}

export function snapshotDir(folder: string, commit: string): string {
  return path.join(folder, 'snapshots', commit);
}

export function blobPath(folder: string, etag: string): string {
  return path.join(folder, 'blobs', etag);
}

/** Points snapshots/<commit>/<file> at its blob, relatively (as Python does), replacing any older link in one rename. */
export function linkSnapshotFile(folder: string, commit: string, file: string, etag: string): void {
  const link = path.join(snapshotDir(folder, commit), file);
  fs.mkdirSync(path.dirname(link), { recursive: true });
  const tmp = tempSibling(link);
  fs.symlinkSync(path.relative(path.dirname(link), blobPath(folder, etag)), tmp);
  try {
    fs.renameSync(tmp, link);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** `org/name@ref (sha)` for every ref and bare commit held in the cache: what would work offline. */
export function cachedRevisions(folder: string, repo: string): string[] {
  const list = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);
  const commits = new Set(list(path.join(folder, 'snapshots')));
  const named: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(dir, e.name), `${prefix}${e.name}/`);
      else {
        const sha = readRef(folder, `${prefix}${e.name}`);
        if (sha && commits.has(sha)) named.push(`${repo}@${prefix}${e.name} (${sha.slice(0, 10)})`);
      }
    }
  };
  if (fs.existsSync(path.join(folder, 'refs'))) walk(path.join(folder, 'refs'), '');
  const unnamed = [...commits].filter((c) => COMMIT_SHA.test(c) && !named.some((n) => n.endsWith(`(${c.slice(0, 10)})`)));
  return [...named, ...unnamed.map((c) => `${repo}@${c}`)];
}

/** The repo and commit of a folder that is a snapshot in a huggingface_hub cache (`.../models--org--name/snapshots/<sha>`). */
export function hubOrigin(dir: string): { repo: string; commit: string } | undefined {
  const m = /(?:^|[/\\])models--([^/\\]+)[/\\]snapshots[/\\]([0-9a-f]{40})[/\\]?$/.exec(dir);
  return m ? { repo: m[1].split('--').join('/'), commit: m[2] } : undefined;
}
