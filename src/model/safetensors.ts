import * as fs from 'fs';
import { DistillError } from '../util/errors';
import { writeFileChecked } from '../util/atomic_write';

/** A tensor read from a safetensors file, converted to float32 or int32. */
export interface RawTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

const DTYPE_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, F64: 8, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function decode(file: string, name: string, dtype: string, bytes: Buffer, count: number): RawTensor['data'] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16, true);
        out[i] = tmp.getFloat32(0, true);
      }
      return out;
    }
    case 'F64': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    default:
      throw new DistillError(`tensor "${name}" has dtype ${dtype}; supported: ${Object.keys(DTYPE_BYTES).filter((d) => !['I8', 'U8', 'BOOL'].includes(d)).join(', ')}`, file);
  }
}

/**
 * Reads every tensor of a safetensors file. Validates the header against the
 * file size before touching data, so a truncated or corrupt file fails with
 * the tensor name instead of yielding garbage weights.
 */
export function readSafetensors(file: string): Map<string, RawTensor> {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new DistillError(`cannot read weights file (${(e as Error).message})`, file, { cause: e });
  }
  if (buf.length < 8) throw new DistillError(`not a safetensors file: ${buf.length} bytes, expected an 8-byte header length first`, file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  if (headerLen <= 1 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > buf.length) {
    throw new DistillError(`corrupt safetensors header: header length ${headerLen} does not fit a file of ${buf.length} bytes`, file);
  }
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  } catch (e) {
    throw new DistillError(`corrupt safetensors header: invalid JSON (${(e as Error).message})`, file, { cause: e });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new DistillError('corrupt safetensors header: expected a JSON object of tensors', file);
  }
  const dataStart = 8 + headerLen;
  const dataLen = buf.length - dataStart;
  const out = new Map<string, RawTensor>();
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const width = DTYPE_BYTES[info?.dtype];
    if (!info || !Array.isArray(info.shape) || !Array.isArray(info.data_offsets) || width === undefined) {
      throw new DistillError(`corrupt safetensors header entry for tensor "${name}": expected {dtype, shape, data_offsets}`, file);
    }
    const count = info.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = info.data_offsets;
    if (!(begin >= 0 && end <= dataLen && end - begin === count * width)) {
      throw new DistillError(
        `tensor "${name}" (${info.dtype} ${JSON.stringify(info.shape)}) has data_offsets [${begin}, ${end}] that do not fit ` +
          `${count * width} bytes inside ${dataLen} data bytes (truncated or corrupt file)`, file);
    }
    const bytes = buf.subarray(dataStart + begin, dataStart + end);
    const data = decode(file, name, info.dtype, bytes, count);
    out.set(name, { dtype: data instanceof Int32Array ? 'int32' : 'float32', shape: info.shape, data });
  }
  return out;
}

/** Writes float32 tensors in safetensors layout (header padded to 8 bytes, as the Rust writer does). */
export function writeSafetensors(file: string, tensors: Map<string, { shape: number[]; data: Float32Array }>, metadata: Record<string, string> = { format: 'pt' }): void {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = [...tensors.keys()].sort();
  for (const name of names) {
    const t = tensors.get(name)!;
    const n = t.data.length * 4;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + n] };
    offset += n;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    Buffer.from(d.buffer, d.byteOffset, d.byteLength).copy(out, pos);
    pos += d.byteLength;
  }
  writeFileChecked(file, out);
}
