import * as fs from 'fs';
import { DistillError } from '../util/errors';

/** Which Dawn adapter to use: hardware only, Mesa's software OpenGL (llvmpipe) only, or hardware then software. */
export const WEBGPU_ADAPTER_MODES = ['auto', 'hardware', 'software'] as const;
export type WebgpuAdapterMode = (typeof WEBGPU_ADAPTER_MODES)[number];

/** The adapter Dawn gave us, as `distill doctor` and the backend line report it. */
export interface WebgpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn's backend: its default pick (Vulkan on Linux) or OpenGL ES/compatibility (the software path). */
  dawnBackend: 'default' | 'opengl';
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader): correct but slow, never picked automatically. */
  software: boolean;
}

/** What navigator.gpu must offer the tfjs webgpu backend; `requestAdapter` already carries our options. */
export interface NavigatorGpu {
  requestAdapter(options?: Record<string, unknown>): Promise<DawnAdapter | null>;
  getPreferredCanvasFormat(): string;
  wgslLanguageFeatures?: unknown;
}

interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
}

interface DawnModule {
  create(flags: string[]): { requestAdapter(o?: Record<string, unknown>): Promise<DawnAdapter | null>; wgslLanguageFeatures?: unknown };
  globals: Record<string, unknown>;
}

export interface OpenedAdapter {
  info: WebgpuAdapterInfo;
  gpu: NavigatorGpu;
  /** The GPU* constants (GPUBufferUsage, GPUMapMode, ...) the tfjs backend reads as globals. */
  globals: Record<string, unknown>;
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

/** Device nodes a hardware adapter needs on Linux: without any, probing Vulkan only prints Dawn's warnings. */
export function gpuDeviceNodes(dev = '/dev'): string[] {
  const names = (d: string) => { try { return fs.readdirSync(d); } catch { return []; } };
  return [
    ...names(dev).filter((n) => /^nvidia\d+$|^dxg$|^kfd$/.test(n)).map((n) => `${dev}/${n}`),
    ...names(`${dev}/dri`).filter((n) => n.startsWith('renderD')).map((n) => `${dev}/dri/${n}`),
  ];
}

export function parseAdapterMode(value: string | undefined): WebgpuAdapterMode {
  const v = value?.trim() || 'auto';
  if (!(WEBGPU_ADAPTER_MODES as readonly string[]).includes(v)) {
    throw new DistillError(`unknown webgpu adapter mode "${v}"; valid: ${WEBGPU_ADAPTER_MODES.join(', ')}`, 'DISTILL_WEBGPU_ADAPTER');
  }
  return v as WebgpuAdapterMode;
}

function loadDawn(): DawnModule {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('webgpu') as DawnModule;
  } catch (e) {
    throw new DistillError(`the webgpu package (Dawn for Node) did not load: ${(e as Error).message.split('\n')[0]}`, 'webgpu');
  }
}

async function tryAdapter(dawn: DawnModule, software: boolean): Promise<OpenedAdapter | string> {
  // Mesa's EGL needs no display on the surfaceless platform; Dawn's OpenGL
  // backend reaches llvmpipe only through EGL, and only at the compatibility
  // feature level (no core-level GLES features in llvmpipe's GL 4.5).
  if (software && !process.env.EGL_PLATFORM) process.env.EGL_PLATFORM = 'surfaceless';
  const gpu = dawn.create(software ? ['backend=opengl'] : []);
  const extra = software ? { featureLevel: 'compatibility' } : {};
  let adapter: DawnAdapter | null;
  try {
    adapter = await gpu.requestAdapter(extra);
  } catch (e) {
    return (e as Error).message;
  }
  if (!adapter) return software ? 'no OpenGL adapter (is Mesa installed? libegl1, libegl-mesa0, libgl1-mesa-dri)' : 'no adapter (no Vulkan driver or loader)';
  const i = adapter.info;
  const named = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`;
  const info: WebgpuAdapterInfo = {
    vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    dawnBackend: software ? 'opengl' : 'default',
    software: software || !!i.isFallbackAdapter || SOFTWARE_NAMES.test(named),
  };
  const wrapped: NavigatorGpu = {
    requestAdapter: (o) => gpu.requestAdapter({ ...o, ...extra }),
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: gpu.wgslLanguageFeatures,
  };
  return { info, gpu: wrapped, globals: dawn.globals };
}

/**
 * Opens a Dawn adapter: `hardware` takes Dawn's default backend and refuses a
 * software one; `software` takes Mesa's OpenGL (llvmpipe); `auto` tries
 * hardware, then software. The result says which it got. Throws a
 * DistillError naming each attempt when none fits.
 */
export async function openWebgpuAdapter(mode: WebgpuAdapterMode): Promise<OpenedAdapter> {
  const dawn = loadDawn();
  const tried: string[] = [];
  for (const software of mode === 'software' ? [true] : mode === 'hardware' ? [false] : [false, true]) {
    const r = await tryAdapter(dawn, software);
    if (typeof r === 'string') { tried.push(`${software ? 'software OpenGL' : 'hardware'}: ${r}`); continue; }
    if (!software && r.info.software && mode === 'hardware') { tried.push(`hardware: only a software adapter (${describeAdapter(r.info)})`); continue; }
    return r;
  }
  throw new DistillError(`no WebGPU adapter: ${tried.join('; ')}`, 'webgpu');
}

/** e.g. `llvmpipe (LLVM 15.0.6, 256 bits), OpenGL version 4.5 Mesa 22.3.6 [software, Dawn OpenGL]`. */
export function describeAdapter(a: WebgpuAdapterInfo): string {
  const name = [a.vendor, a.architecture, a.device].filter((s) => s).join(' / ');
  return `${name || 'unnamed adapter'}, ${a.description || 'no description'} [${a.software ? 'software' : 'hardware'}, Dawn ${a.dawnBackend === 'opengl' ? 'OpenGL' : 'default backend'}]`;
}
