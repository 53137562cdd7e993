import * as fs from 'fs';
import * as path from 'path';
import { downloadFile, fileDownloadInfo, HubApiError, modelInfo, type FileDownloadInfoOutput } from '@huggingface/hub';
import { DistillError } from '../util/errors';
import { Progress } from '../util/progress';
import { downloadBlob } from './download_blob';
import { blobPath, cachedRevisions, linkSnapshotFile, readRef, repoFolder, snapshotDir, writeRef } from './hub_cache';
import { HubContext, hubError } from './hub_errors';
import { HubSettings, hubSettings } from './hub_settings';
import { parseModelRef } from './model_ref';
import { missingFromSnapshot, moduleFiles, moduleFolders, ROOT_FILES, shardFiles } from './sentence_files';

/** A model folder ready to load, and where it came from. */
export interface ResolvedModel {
  dir: string;
  /** Set for a Hub model: the id, the revision asked for and the commit it resolved to. */
  hub?: { repo: string; revision: string; commit: string };
}

export interface ResolveOptions {
  settings?: HubSettings;
  quiet?: boolean;
  /** Where errors say the reference came from (a config key or flag). */
  where?: string;
  fetch?: typeof fetch;
}

/**
 * A local folder as it is; a Hub id (org/name[@rev]) to its snapshot folder
 * in the huggingface_hub cache. A cached snapshot that holds a whole sentence
 * model is served without any request (a branch resolves through refs/<branch>);
 * HF_HUB_OFFLINE=1 never makes one. Otherwise the revision is resolved to a
 * commit and the missing files are downloaded.
 */
export async function resolveModel(spec: string, o: ResolveOptions = {}): Promise<ResolvedModel> {
  const ref = parseModelRef(spec, o.where);
  if (ref.kind === 'local') return { dir: ref.dir };
  const s = o.settings ?? hubSettings();
  const folder = repoFolder(s.cacheDir, ref.repo);
  const ctx: HubContext = { repo: ref.repo, revision: ref.revision, endpoint: s.endpoint, tokenSet: !!s.token, cached: () => cachedRevisions(folder, ref.repo) };
  const known = readRef(folder, ref.revision);
  if (known && missingFromSnapshot(snapshotDir(folder, known)) === undefined) return { dir: snapshotDir(folder, known), hub: { repo: ref.repo, revision: ref.revision, commit: known } };
  if (s.offline) throw offlineMiss(ref.repo, ref.revision, known, folder, ctx);
  const commit = await hubCall(ctx, () => resolveCommit(ref.repo, ref.revision, s, o.fetch));
  writeRef(folder, ref.revision, commit.sha);
  await downloadSnapshot(folder, commit.sha, commit.siblings, { ...ctx }, s, o);
  return { dir: snapshotDir(folder, commit.sha), hub: { repo: ref.repo, revision: ref.revision, commit: commit.sha } };
}

async function resolveCommit(repo: string, revision: string, s: HubSettings, f?: typeof fetch): Promise<{ sha: string; siblings: string[] }> {
  const info = await modelInfo({ name: repo, revision, hubUrl: s.endpoint, accessToken: s.token, fetch: f, additionalFields: ['sha', 'filePaths'] });
  return { sha: info.sha, siblings: info.filePaths ?? [] };
}

function offlineMiss(repo: string, revision: string, known: string | undefined, folder: string, ctx: HubContext): DistillError {
  const missing = known ? missingFromSnapshot(snapshotDir(folder, known)) : undefined;
  const cached = ctx.cached();
  const have = cached.length ? `cached: ${cached.join(', ')}` : `nothing of ${repo} is in the cache (${folder})`;
  const why = known ? `the cached snapshot ${known} lacks ${missing}` : `revision "${revision}" is not in the cache`;
  return new DistillError(`HF_HUB_OFFLINE=1 and ${why}; ${have}. Unset HF_HUB_OFFLINE to download it`, repo);
}

/** Root files first (modules.json and the shard index say what else is needed), then module folders and shards. */
async function downloadSnapshot(folder: string, commit: string, siblings: string[], ctx: HubContext, s: HubSettings, o: ResolveOptions): Promise<void> {
  const snap = snapshotDir(folder, commit);
  const present = new Set(siblings);
  if (!present.has('model.safetensors') && !present.has('model.safetensors.index.json')) throw weightsMissing(ctx.repo, commit, present);
  const root = ROOT_FILES.filter((f) => present.has(f));
  const at = (f: string) => (fs.existsSync(path.join(snap, f)) ? path.join(snap, f) : undefined);
  const jsonFirst = root.filter((f) => f.endsWith('.json'));
  await fetchFiles(folder, commit, jsonFirst, ctx, s, o);
  const rest = [
    ...root.filter((f) => !f.endsWith('.json')),
    ...moduleFiles(siblings, moduleFolders(at('modules.json'))),
    ...shardFiles(at('model.safetensors.index.json')),
  ];
  await fetchFiles(folder, commit, [...new Set(rest)], ctx, s, o);
  const missing = missingFromSnapshot(snap);
  if (missing) throw new DistillError(`${ctx.repo}@${commit} has no "${missing}", which a sentence model needs`, ctx.repo);
}

function weightsMissing(repo: string, commit: string, present: Set<string>): DistillError {
  if (present.has('pytorch_model.bin') || [...present].some((f) => /^pytorch_model.*\.bin$/.test(f))) {
    return new DistillError(
      `${repo}@${commit} has only PyTorch weights (pytorch_model.bin), which cannot be read safely outside Python; convert them to safetensors once and pass the folder instead: ` +
        `python -c "from transformers import AutoModel, AutoTokenizer; m='${repo}'; d='${repo.split('/')[1]}-safetensors'; AutoModel.from_pretrained(m).save_pretrained(d, safe_serialization=True); AutoTokenizer.from_pretrained(m).save_pretrained(d)"` +
        ` (or, for a sentence-transformers model: from sentence_transformers import SentenceTransformer; SentenceTransformer(m).save(d))`,
      repo,
    );
  }
  return new DistillError(`${repo}@${commit} has no model.safetensors (or sharded model.safetensors.index.json)`, repo);
}

/** Downloads every file not yet linked in the snapshot, with one bytes-and-ETA progress line for them all. */
async function fetchFiles(folder: string, commit: string, files: string[], ctx: HubContext, s: HubSettings, o: ResolveOptions): Promise<void> {
  const todo = files.filter((f) => !fs.existsSync(path.join(snapshotDir(folder, commit), f)));
  if (!todo.length) return;
  const infos: Array<[string, FileDownloadInfoOutput]> = [];
  for (const file of todo) {
    const info = await hubCall({ ...ctx, file }, () => fileDownloadInfo({ repo: ctx.repo, path: file, revision: commit, hubUrl: s.endpoint, accessToken: s.token, fetch: o.fetch }));
    if (!info) throw new DistillError(`file "${file}" of ${ctx.repo}@${commit} not found on ${s.endpoint} (HTTP 404)`, ctx.repo);
    infos.push([file, info]);
  }
  const total = infos.reduce((n, [, i]) => n + i.size, 0);
  const progress = new Progress(`download ${ctx.repo}`, total, 'B', process.stderr, o.quiet || total < 1 << 20, formatBytes);
  let done = 0;
  for (const [file, info] of infos) {
    const etag = info.etag.replace(/^W\//, '').replace(/"/g, '');
    await fetchBlob(blobPath(folder, etag), file, info, etag, { ...ctx, file, revision: commit }, s, o, (n) => progress.update((done += n)));
    linkSnapshotFile(folder, commit, file, etag);
  }
}

/** One blob, unless already there; a cut connection says the partial file will be resumed. */
async function fetchBlob(blob: string, file: string, info: FileDownloadInfoOutput, etag: string, ctx: HubContext, s: HubSettings, o: ResolveOptions, onBytes: (n: number) => void): Promise<void> {
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  if (fs.existsSync(blob)) return onBytes(info.size);
  const source = (offset: number) =>
    streamFrom(downloadFile({ repo: ctx.repo, path: file, revision: ctx.revision, hubUrl: s.endpoint, accessToken: s.token, fetch: o.fetch, downloadInfo: info }), offset);
  try {
    await downloadBlob(blob, info.size, etag, source, onBytes);
  } catch (e) {
    const os = typeof (e as NodeJS.ErrnoException).code === 'string' && (e as NodeJS.ErrnoException).path;
    if (e instanceof HubApiError || e instanceof DistillError || os) throw hubError(e, ctx);
    throw new DistillError(`download of "${file}" failed (${describe(e)}); the part already fetched is kept, not used: run again to resume`, ctx.repo, { cause: e });
  }
}

/** The library's Blob supports Range requests through slice(); stream the part not yet on disk. */
function streamFrom(blob: Promise<Blob | null>, offset: number): ReadableStream<Uint8Array> {
  const t = new TransformStream<Uint8Array, Uint8Array>();
  blob
    .then((b) => {
      if (!b) throw new Error('file vanished from the Hub');
      return (b.slice(offset).stream() as ReadableStream<Uint8Array>).pipeTo(t.writable);
    })
    .catch((e) => t.writable.abort(e).catch(() => undefined));
  return t.readable;
}

async function hubCall<T>(ctx: HubContext, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    throw hubError(e, ctx);
  }
}

function describe(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return [(e as Error).message ?? String(e), cause?.code ?? cause?.message].filter(Boolean).join(': ');
}

export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) {
    n /= 1000;
    i++;
  }
  return `${i ? n.toFixed(1) : n.toFixed(0)} ${units[i]}`;
}
