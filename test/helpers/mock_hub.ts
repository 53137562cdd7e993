import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

/**
 * A local stand-in for the Hugging Face Hub (there is no internet here),
 * serving folders through the endpoints huggingface_hub and @huggingface/hub
 * use, with the headers the real Hub sends:
 * - GET /api/models/{org}/{name}/revision/{rev}: JSON with sha and siblings;
 * - GET /api/models/{org}/{name}/tree/{rev}: the file listing (Python's snapshot_download);
 * - GET|HEAD /{org}/{name}/resolve/{rev}/{file}: small files directly (ETag =
 *   git blob sha1), LFS files (.safetensors, .bin) as a 302 to
 *   http://localhost:{port}/cdn/{sha256} (another host, like the Hub's CDN) with X-Linked-Etag and X-Linked-Size; X-Repo-Commit on both;
 * - GET|HEAD /cdn/{sha256}: the bytes, with Range requests (206).
 * Knobs: `auth` (token a repo needs: 401 without one, 403 with a wrong one),
 * `dropAfter` (the next CDN download is cut after that many bytes), `corruptNext`.
 */
export interface MockRepo {
  dir: string;
  /** ref name -> commit sha; every commit serves `dir`. */
  refs: Record<string, string>;
  /** Only these files, when set (default: every file under dir). */
  files?: string[];
  auth?: string;
  /** Listed in siblings but answered 404, like a file deleted under a moving branch. */
  ghosts?: string[];
}

interface FileEntry { bytes: Buffer; etag: string; lfs: boolean }

export class MockHub {
  readonly requests: string[] = [];
  dropAfter?: number;
  /** The next CDN download sends that many bytes, then stalls with the connection open (a client to be killed). */
  stallAfter?: number;
  /** The next CDN download has one byte changed (a corrupting proxy or disk). */
  corruptNext = false;
  private server?: http.Server;
  private readonly files = new Map<string, Map<string, FileEntry>>();
  private readonly blobs = new Map<string, Buffer>();

  constructor(private readonly repos: Record<string, MockRepo>) {
    for (const [id, r] of Object.entries(repos)) {
      const m = new Map<string, FileEntry>();
      for (const f of r.files ?? walk(r.dir)) {
        const bytes = fs.readFileSync(path.join(r.dir, f));
        const lfs = /\.(safetensors|bin)$/.test(f);
        const etag = lfs ? crypto.createHash('sha256').update(bytes).digest('hex') : crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
        if (lfs) this.blobs.set(etag, bytes);
        m.set(f, { bytes, etag, lfs });
      }
      this.files.set(id, m);
    }
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((ok) => this.server!.listen(port, '127.0.0.1', ok));
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((ok) => this.server!.close(() => ok()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    const p = decodeURIComponent(url.pathname);
    this.requests.push(`${req.method} ${p}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(p);
    const tree = /^\/api\/models\/([^/]+\/[^/]+)\/tree\/([^/]+)$/.exec(p);
    if (tree) return this.tree(req, res, tree[1], tree[2]);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(p);
    if (api) return this.repoInfo(req, res, api[1], api[2]);
    if (resolve) return this.resolveFile(req, res, resolve[1], resolve[2], resolve[3]);
    if (cdn && this.blobs.has(cdn[1])) return this.sendBytes(req, res, this.blobs.get(cdn[1])!, cdn[1], {}, true);
    error(res, 404, 'EntryNotFound', 'not found');
  }

  /** The repo's commit for `rev`, or an error response already sent. */
  private commit(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string): string | undefined {
    const repo = this.repos[id];
    if (!repo) return void error(res, 404, 'RepoNotFound', 'Repository not found');
    if (repo.auth) {
      const got = req.headers.authorization;
      if (!got) return void error(res, 401, 'GatedRepo', 'Access to this model is restricted. You must be authenticated.');
      if (got !== `Bearer ${repo.auth}`) return void error(res, 403, 'GatedRepo', 'Access to this model is restricted.');
    }
    const sha = repo.refs[rev] ?? (Object.values(repo.refs).includes(rev) ? rev : undefined);
    if (!sha) return void error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    return sha;
  }

  private repoInfo(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string): void {
    const sha = this.commit(req, res, id, rev);
    if (!sha) return;
    const siblings = [...this.files.get(id)!.keys(), ...(this.repos[id].ghosts ?? [])].map((rfilename) => ({ rfilename }));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ _id: id.replace('/', '-'), id, sha, private: false, gated: false, downloads: 0, likes: 0, lastModified: '2026-01-01T00:00:00.000Z', siblings }));
  }

  /** The recursive listing Python's snapshot_download reads (list_repo_tree). */
  private tree(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string): void {
    if (!this.commit(req, res, id, rev)) return;
    const files = [...this.files.get(id)!];
    const dirs = [...new Set(files.flatMap(([f]) => (f.includes('/') ? [f.slice(0, f.lastIndexOf('/'))] : [])))];
    const entries = [
      ...dirs.map((d) => ({ type: 'directory', path: d, oid: '0'.repeat(40), size: 0 })),
      ...files.map(([f, e]) => ({ type: 'file', path: f, size: e.bytes.length, oid: e.lfs ? '0'.repeat(40) : e.etag, ...(e.lfs ? { lfs: { oid: e.etag, size: e.bytes.length, pointerSize: 134 } } : {}) })),
    ];
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(entries));
  }

  private resolveFile(req: http.IncomingMessage, res: http.ServerResponse, id: string, rev: string, file: string): void {
    const sha = this.commit(req, res, id, rev);
    if (!sha) return;
    const f = this.files.get(id)!.get(file);
    if (!f) return error(res, 404, 'EntryNotFound', `${file} does not exist on "${rev}"`, { 'X-Repo-Commit': sha });
    if (f.lfs) {
      // Another host name for the same server, as the real Hub redirects to a CDN host (Python follows same-host redirects itself).
      res.writeHead(302, { Location: `${this.url.replace('127.0.0.1', 'localhost')}/cdn/${f.etag}`, 'X-Repo-Commit': sha, 'X-Linked-Etag': `"${f.etag}"`, 'X-Linked-Size': String(f.bytes.length), ETag: `"${f.etag}"`, 'Content-Length': '0' });
      return void res.end();
    }
    this.sendBytes(req, res, f.bytes, f.etag, { 'X-Repo-Commit': sha });
  }

  private sendBytes(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer, etag: string, extra: Record<string, string> = {}, cdn = false): void {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    const headers = { ...extra, ETag: `"${etag}"`, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream', 'Content-Length': String(end - start + 1) };
    res.writeHead(range ? 206 : 200, range ? { ...headers, 'Content-Range': `bytes ${start}-${end}/${bytes.length}` } : headers);
    if (req.method === 'HEAD') return void res.end();
    const corrupt = this.corruptNext && cdn && end - start > 0;
    const body = corrupt ? Buffer.from(bytes.subarray(start, end + 1)) : bytes.subarray(start, end + 1);
    if (corrupt) {
      this.corruptNext = false;
      body[body.length >> 1] ^= 0xff;
    }
    if (this.stallAfter !== undefined && cdn && body.length > this.stallAfter) {
      res.write(body.subarray(0, this.stallAfter));
      this.stallAfter = undefined;
      return;
    }
    if (this.dropAfter !== undefined && body.length > this.dropAfter) {
      const cut = this.dropAfter;
      this.dropAfter = undefined;
      res.write(body.subarray(0, cut), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }
}

function error(res: http.ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message, ...extra });
  res.end(JSON.stringify({ error: message }));
}

function walk(dir: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(dir, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, rel) : e.isFile() || e.isSymbolicLink() ? [rel] : [];
  });
}
