import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, tmpDir } from '../helpers/env';
import { findLibraries, loaderSearchDirs } from '../../src/backend/cuda_libraries';
import { parseTfGpuLog } from '../../src/backend/gpu_probe';
import { loadNativePackage } from '../../src/backend/load_native';

const FRAMEWORK = path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node-gpu', 'deps', 'lib', 'libtensorflow_framework.so.2');

test('a CUDA library in deps/nvidia/<lib>/lib is found through the framework RUNPATH; LD_LIBRARY_PATH comes first', () => {
  assert.ok(fs.existsSync(FRAMEWORK), `${FRAMEWORK} missing: run "npm run setup -- --gpu"`);
  // A hard link keeps $ORIGIN in the temporary tree (a symlink would resolve back to node_modules).
  const deps = path.join(tmpDir(), 'deps');
  fs.mkdirSync(path.join(deps, 'lib'), { recursive: true });
  const caller = path.join(deps, 'lib', 'libtensorflow_framework.so.2');
  fs.linkSync(FRAMEWORK, caller);
  fs.mkdirSync(path.join(deps, 'nvidia', 'cudnn', 'lib'), { recursive: true });
  fs.writeFileSync(path.join(deps, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'), '');
  const user = tmpDir();
  fs.writeFileSync(path.join(user, 'libcufft.so.11'), '');
  fs.writeFileSync(path.join(user, 'libcudnn.so.9'), '');

  const viaRunpath = findLibraries(['libcudnn.so.9', 'libcufft.so.11', 'libnot-a-cuda-lib.so.7'], loaderSearchDirs(caller, {}));
  assert.deepEqual(viaRunpath.get('libcudnn.so.9'), { path: path.join(deps, 'nvidia', 'cudnn', 'lib', 'libcudnn.so.9'), from: 'RUNPATH' });
  assert.equal(viaRunpath.get('libcufft.so.11'), null);
  assert.equal(viaRunpath.get('libnot-a-cuda-lib.so.7'), null);

  const withEnv = findLibraries(['libcudnn.so.9', 'libcufft.so.11'], loaderSearchDirs(caller, { LD_LIBRARY_PATH: user }));
  assert.deepEqual(withEnv.get('libcudnn.so.9'), { path: path.join(user, 'libcudnn.so.9'), from: 'LD_LIBRARY_PATH' });
  assert.deepEqual(withEnv.get('libcufft.so.11'), { path: path.join(user, 'libcufft.so.11'), from: 'LD_LIBRARY_PATH' });
});

test("TensorFlow's device-creation line becomes a device; its CUDA messages are kept without the log prefix", () => {
  // Format of tensorflow/core/common_runtime/gpu/gpu_device.cc ("Created device ... MB memory:  -> " + description);
  // no GPU in this session, so the line is written from that source, not captured from a run.
  const log = [
    'I0000 00:00:1795494401.652913    4263 gpu_device.cc:2020] Created device /job:localhost/replica:0/task:0/device:GPU:0 with 79078 MB memory:  -> device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0',
    "I0000 00:00:1795494213.573013    2033 dso_loader.cc:144] Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory",
    'I0000 00:00:1795494213.572326    2033 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use available CPU instructions',
  ].join('\n');
  const r = parseTfGpuLog(log);
  assert.deepEqual(r.devices, [{ name: '/job:localhost/replica:0/task:0/device:GPU:0', memoryMb: 79078, description: 'device: 0, name: NVIDIA H100 80GB HBM3, pci bus id: 0000:00:05.0, compute capability: 9.0' }]);
  assert.equal(r.cudaLines.length, 2);
  assert.equal(r.cudaLines[1], "dso_loader.cc:144] Could not load dynamic library 'libcuda.so.1'; dlerror: libcuda.so.1: cannot open shared object file: No such file or directory");
});

test('tfjs-node and tfjs-node-gpu never load in one process: the second is refused, not required', () => {
  const gpuMain = require.resolve('@tensorflow/tfjs-node-gpu');
  assert.equal(loadNativePackage('@tensorflow/tfjs-node').ok, true);
  const second = loadNativePackage('@tensorflow/tfjs-node-gpu');
  assert.equal(second.ok, false);
  assert.match((second as { error: string }).error, /@tensorflow\/tfjs-node is already loaded in this process; @tensorflow\/tfjs-node-gpu cannot load beside it/);
  assert.equal(gpuMain in require.cache, false);
});
