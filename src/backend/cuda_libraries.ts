import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { expandOrigin, readElfSearchPath } from '../util/elf_runpath';

/** The NVIDIA driver's user-space library: comes with the driver, never with the project. */
export const CUDA_DRIVER_LIBRARY = 'libcuda.so.1';

/**
 * Libraries TensorFlow 2.21 (CUDA 12, cuDNN 9) must dlopen before it registers
 * any GPU (tsl's TryDlopenCUDALibraries); one missing and it skips every GPU.
 * `wheel` is the Python package index wheel that ships it, for the hint.
 */
export const CUDA_LIBRARIES: ReadonlyArray<{ soname: string; wheel: string }> = [
  { soname: 'libcudart.so.12', wheel: 'nvidia-cuda-runtime-cu12' },
  { soname: 'libcublas.so.12', wheel: 'nvidia-cublas-cu12' },
  { soname: 'libcublasLt.so.12', wheel: 'nvidia-cublas-cu12' },
  { soname: 'libcufft.so.11', wheel: 'nvidia-cufft-cu12' },
  { soname: 'libcusolver.so.11', wheel: 'nvidia-cusolver-cu12' },
  { soname: 'libcusparse.so.12', wheel: 'nvidia-cusparse-cu12' },
  { soname: 'libcudnn.so.9', wheel: 'nvidia-cudnn-cu12' },
];

/** One place dlopen looks, in its order, and why it looks there. */
export interface SearchDir {
  dir: string;
  from: 'LD_LIBRARY_PATH' | 'RUNPATH' | 'ld.so.cache' | 'default';
}

/** The system's default directories after ld.so.cache (glibc's trusted directories on x86-64 Debian/Ubuntu/RHEL). */
const DEFAULT_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/** soname -> path from `ldconfig -p` (x86-64 entries only); empty when ldconfig is missing. */
function ldCache(): Map<string, string> {
  const out = new Map<string, string>();
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      const text = execFileSync(ldconfig, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      for (const m of text.matchAll(/^\s*(\S+) \(([^)]*)\) => (\S+)$/gm)) {
        if (m[2].includes('x86-64') && !out.has(m[1])) out.set(m[1], m[3]);
      }
      return out;
    } catch {
      continue;
    }
  }
  return out;
}

/**
 * Where dlopen(soname) called from `caller` looks, in glibc's order for a
 * caller with DT_RUNPATH: LD_LIBRARY_PATH, the caller's RUNPATH ($ORIGIN
 * expanded), ld.so.cache, the default directories. TensorFlow dlopens the CUDA
 * libraries from libtensorflow_framework.so.2, whose RUNPATH names
 * $ORIGIN/../nvidia/<lib>/lib: the layout the set-up unpacks the CUDA wheels into.
 */
export function loaderSearchDirs(caller: string, env: NodeJS.ProcessEnv = process.env): SearchDir[] {
  const fromEnv = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean).map((d): SearchDir => ({ dir: path.resolve(d), from: 'LD_LIBRARY_PATH' }));
  const runpath = readElfSearchPath(caller);
  const fromRunpath = runpath ? expandOrigin(caller, runpath.entries).map((d): SearchDir => ({ dir: d, from: 'RUNPATH' })) : [];
  return [...fromEnv, ...fromRunpath, ...DEFAULT_DIRS.map((d): SearchDir => ({ dir: d, from: 'default' }))];
}

/** Where each soname resolves, or null: the first search directory holding it, else ld.so.cache, else a default directory. */
export function findLibraries(sonames: string[], dirs: SearchDir[]): Map<string, { path: string; from: SearchDir['from'] } | null> {
  const cache = ldCache();
  const before = dirs.filter((d) => d.from !== 'default');
  const after = dirs.filter((d) => d.from === 'default');
  const inDirs = (soname: string, list: SearchDir[]) => {
    const hit = list.find((d) => fs.existsSync(path.join(d.dir, soname)));
    return hit ? { path: path.join(hit.dir, soname), from: hit.from } : null;
  };
  return new Map(sonames.map((s) => {
    const cached = cache.get(s);
    return [s, inDirs(s, before) ?? (cached ? { path: cached, from: 'ld.so.cache' as const } : null) ?? inDirs(s, after)];
  }));
}
