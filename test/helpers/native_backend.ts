import type { BackendName } from '../../src/backend/select_backend';

/**
 * The native backend the parity tests run on: tensorflow (tfjs-node) unless
 * DISTILL_BACKEND=tensorflow-gpu, which test/backend/tensorflow_gpu.test.ts
 * sets to rerun them in a child process on tfjs-node-gpu. Either registers as
 * tfjs backend 'tensorflow', so tf.setBackend('tensorflow') in a test means
 * whichever of the two is under test.
 */
export function nativeBackendUnderTest(): BackendName {
  return process.env.DISTILL_BACKEND === 'tensorflow-gpu' ? 'tensorflow-gpu' : 'tensorflow';
}
