import * as fs from 'fs';
import * as path from 'path';

const SHT_DYNAMIC = 6;
const DT_NULL = 0n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

/** DT_RUNPATH (or the older DT_RPATH) of an ELF shared library. */
export interface ElfSearchPath {
  kind: 'RUNPATH' | 'RPATH';
  /** Entries as written, $ORIGIN unexpanded. */
  entries: string[];
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  fs.readSync(fd, b, 0, length, offset);
  return b;
}

/**
 * Reads the library search path an ELF64 little-endian shared object carries,
 * without binutils (users' machines may lack readelf). Reads only the headers,
 * the dynamic section and its string table, not the whole file (TensorFlow's
 * libraries are hundreds of MB). Returns null when the file has neither entry.
 */
export function readElfSearchPath(file: string): ElfSearchPath | null {
  const fd = fs.openSync(file, 'r');
  try {
    const h = readAt(fd, 0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) throw new Error(`${file}: not a 64-bit little-endian ELF file`);
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    const sections = readAt(fd, shoff, shentsize * shnum);
    const section = (i: number) => ({
      type: sections.readUInt32LE(i * shentsize + 4),
      offset: Number(sections.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(sections.readBigUInt64LE(i * shentsize + 0x20)),
      link: sections.readUInt32LE(i * shentsize + 0x28),
    });
    for (let i = 0; i < shnum; i++) {
      const dyn = section(i);
      if (dyn.type !== SHT_DYNAMIC) continue;
      const strtab = section(dyn.link);
      const strings = readAt(fd, strtab.offset, strtab.size);
      const entries = readAt(fd, dyn.offset, dyn.size);
      let rpath: string | null = null;
      for (let o = 0; o + 16 <= entries.length; o += 16) {
        const tag = entries.readBigInt64LE(o);
        if (tag === DT_NULL) break;
        const at = Number(entries.readBigUInt64LE(o + 8));
        const value = () => strings.toString('utf8', at, strings.indexOf(0, at));
        if (tag === DT_RUNPATH) return { kind: 'RUNPATH', entries: value().split(':').filter(Boolean) };
        if (tag === DT_RPATH) rpath = value();
      }
      return rpath === null ? null : { kind: 'RPATH', entries: rpath.split(':').filter(Boolean) };
    }
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Directories of a search path with $ORIGIN expanded for `file`, duplicates dropped, in order. */
export function expandOrigin(file: string, entries: string[]): string[] {
  const origin = path.dirname(fs.realpathSync(file));
  const dirs = entries.map((e) => path.resolve(e.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin)));
  return [...new Set(dirs)];
}
