import * as tf from './tf';
import { DistillError } from '../util/errors';
import { OpenedAdapter } from './webgpu_adapter';
import { fixWebgpuIntToFloatCast } from './webgpu_cast_fix';

/**
 * Registers and starts tfjs' webgpu backend on an adapter opened by
 * openWebgpuAdapter. The backend registers itself only if navigator.gpu
 * exists when its module is first loaded, so navigator.gpu is set first.
 * WEBGPU_CPU_FORWARD=false keeps small ops (< ~1000 elements) on the GPU:
 * by default they run on the CPU backend, and those results would then have
 * to cross between devices mid-graph (and differ from a pure-GPU run).
 * Gradients come from '@tensorflow/tfjs' (backend/tf.ts), already loaded.
 */
export async function startWebgpuBackend(opened: OpenedAdapter): Promise<void> {
  for (const [k, v] of Object.entries(opened.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (!g.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(g.navigator, 'gpu', { value: opened.gpu, configurable: true, writable: true });
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  fixWebgpuIntToFloatCast(require('@tensorflow/tfjs-backend-webgpu'));
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  if (!(await tf.setBackend('webgpu'))) throw new DistillError('the tfjs webgpu backend did not start on the adapter Dawn opened', 'webgpu');
}

/**
 * After `await t.data()` the webgpu backend keeps a CPU copy, so a later
 * dataSync() needs no synchronous GPU read (which in Node has no
 * OffscreenCanvas to go through and fails). Call before code that reads
 * tensors synchronously (weights saved, fingerprinted); a no-op elsewhere.
 */
export async function readableSync(tensors: Iterable<tf.Tensor>): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  await Promise.all([...tensors].map((t) => t.data()));
}
