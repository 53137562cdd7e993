import { describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CLI, PYTHON, ROOT, tmpDir } from '../helpers/env';
import { readElfSearchPath } from '../../src/util/elf_runpath';

// The tfjs-node-gpu path on a machine without a GPU: the binding built from the
// CUDA tensorflow wheel loads, runs the tiny-model parity tests on TensorFlow's
// CPU fallback, and `distill doctor` names why there is no GPU. Everything the
// assertions expect is found here by other means (readelf, the dynamic loader
// through Python's ctypes, /proc/self/maps), not by the code under test.

const GPU_DIR = fs.realpathSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node-gpu'));
const CPU_DIR = fs.realpathSync(path.join(ROOT, 'node_modules', '@tensorflow', 'tfjs-node'));
const BUILD = 'npm run setup -- --gpu';
const PARITY_TESTS = ['model/bert_layers', 'distill/adamw', 'distill/losses', 'distill/layer_losses'];
/** What TensorFlow 2.21 must dlopen before it registers a GPU (tsl TryDlopenCUDALibraries), CUDA 12 / cuDNN 9 names. */
const CUDA_SONAMES = ['libcudart.so.12', 'libcublas.so.12', 'libcublasLt.so.12', 'libcufft.so.11', 'libcusolver.so.11', 'libcusparse.so.12', 'libcudnn.so.9'];

function readelfRunpath(file: string): string[] {
  const out = execFileSync('readelf', ['-d', file], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const m = /\((?:RUNPATH|RPATH)\)\s+Library r(?:un)?path: \[(.*)\]/.exec(out);
  return m ? m[1].split(':').filter(Boolean) : [];
}

function builtBinding(): string {
  const lib = path.join(GPU_DIR, 'lib');
  const found = fs.existsSync(lib) ? fs.readdirSync(lib).map((d) => path.join(lib, d, 'tfjs_binding.node')).find((f) => fs.existsSync(f)) : undefined;
  assert.ok(found, `${GPU_DIR} has no built binding: run "${BUILD}" (scripts/test.sh does)`);
  return found;
}

/** The environment of a child that must find CUDA only the way the project arranges it. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  delete env.NODE_TEST_CONTEXT; // else the child speaks node --test's internal protocol instead of TAP
  delete env.LD_LIBRARY_PATH;
  return env;
}

describe('tfjs-node-gpu (backend tensorflow-gpu) built and run without a GPU', () => {
  test('the binding is built against the CUDA tensorflow wheel, found through RUNPATH', () => {
    const binding = builtBinding();
    assert.deepEqual(readelfRunpath(binding), ['$ORIGIN/../../deps/lib']);
    const framework = path.join(GPU_DIR, 'deps', 'lib', 'libtensorflow_framework.so.2');
    const runpath = readelfRunpath(framework);
    // The CUDA build looks for the pip CUDA wheels next to itself; the CPU build has no RUNPATH.
    for (const lib of ['cuda_runtime', 'cublas', 'cudnn', 'cufft', 'cusparse']) assert.ok(runpath.includes(`$ORIGIN/../nvidia/${lib}/lib`), `${framework} RUNPATH lacks nvidia/${lib}`);
    assert.deepEqual(readelfRunpath(path.join(CPU_DIR, 'deps', 'lib', 'libtensorflow_framework.so.2')), []);
    assert.deepEqual(readElfSearchPath(framework)?.entries, runpath, 'our ELF reader agrees with readelf');
  });

  test('the tiny-model parity tests (layers, losses and gradients, AdamW) pass on tfjs-node-gpu, and it is the library loaded', () => {
    builtBinding();
    for (const name of PARITY_TESTS) {
      const record = path.join(tmpDir(), 'native.json');
      const p = spawnSync(process.execPath, ['--require', path.join(ROOT, 'dist', 'test', 'helpers', 'record_native_libs.js'), '--test-reporter=tap', path.join(ROOT, 'dist', 'test', `${name}.test.js`)], {
        cwd: ROOT,
        encoding: 'utf8',
        env: childEnv({ DISTILL_BACKEND: 'tensorflow-gpu', DISTILL_TEST_NATIVE_LIBS_OUT: record }),
        maxBuffer: 1 << 26,
      });
      assert.equal(p.status, 0, `${name} on tensorflow-gpu:\n${p.stdout.slice(-3000)}\n${p.stderr.slice(-2000)}`);
      assert.match(p.stdout, /^# fail 0$/m);
      assert.ok(Number(/^# pass (\d+)$/m.exec(p.stdout)?.[1]) > 0, `${name}: no test passed`);
      const loaded: { mapped: string[]; required: string[] } = JSON.parse(fs.readFileSync(record, 'utf8'));
      assert.deepEqual(loaded.required, [path.join(GPU_DIR, 'dist', 'index.js')], `${name}: required ${loaded.required}`);
      const tfLibs = loaded.mapped.filter((f) => /libtensorflow(_cc|_framework)\.so\.2$/.test(f));
      assert.deepEqual(tfLibs.map((f) => path.dirname(f)).filter((d, i, a) => a.indexOf(d) === i), [path.join(GPU_DIR, 'deps', 'lib')], `${name}: TensorFlow libraries mapped: ${tfLibs}`);
      // With LD_LIBRARY_PATH unset, TensorFlow still found the CUDA runtime the set-up unpacked: RUNPATH works.
      assert.ok(loaded.mapped.includes(path.join(GPU_DIR, 'deps', 'nvidia', 'cuda_runtime', 'lib', 'libcudart.so.12')), `${name}: libcudart.so.12 not loaded from deps/nvidia: ${loaded.mapped}`);
    }
  });

  test('doctor lists the GPUs TensorFlow sees, or exactly the reasons found here for none', () => {
    builtBinding();
    const p = spawnSync(process.execPath, [CLI, 'doctor', '--json', '--backend', 'tensorflow-gpu'], { cwd: ROOT, encoding: 'utf8', env: childEnv({}), maxBuffer: 1 << 26 });
    assert.equal(p.status, 0, p.stderr.slice(-2000));
    const doc = JSON.parse(p.stdout);
    // Ask the real dynamic loader (Python ctypes -> dlopen) with the directories of the framework's RUNPATH.
    const origin = path.join(GPU_DIR, 'deps', 'lib');
    const dirs = readelfRunpath(path.join(origin, 'libtensorflow_framework.so.2')).map((d) => d.replace('$ORIGIN', origin));
    const probe = `import ctypes, json, sys\nok = {}\nfor n in sys.argv[1:]:\n    try:\n        ctypes.CDLL(n); ok[n] = True\n    except OSError:\n        ok[n] = False\nprint(json.dumps(ok))`;
    const opens: Record<string, boolean> = JSON.parse(execFileSync(PYTHON, ['-c', probe, 'libcuda.so.1', ...CUDA_SONAMES], { encoding: 'utf8', env: { ...childEnv({}), LD_LIBRARY_PATH: dirs.join(':') } }));
    const devices = fs.readdirSync('/dev').filter((f) => /^nvidia\d+$/.test(f));
    const missing = CUDA_SONAMES.filter((s) => !opens[s]);
    const want = [...(opens['libcuda.so.1'] ? [] : ['no-driver']), ...(devices.length ? [] : ['no-device']), ...(missing.length ? ['missing-library'] : [])];

    assert.equal(doc.backend, 'tensorflow-gpu');
    assert.equal(doc.gpu.tensorflow.packageMain, path.join(GPU_DIR, 'dist', 'index.js'));
    assert.deepEqual(doc.gpu.environment.libraries.filter((l: { path: string | null }) => !l.path).map((l: { soname: string }) => l.soname), missing);
    if (!want.length) {
      assert.ok(doc.gpu.tensorflow.devices.length > 0, 'driver, device and libraries present, yet TensorFlow listed no GPU');
      assert.equal(doc.gpu.tensorflow.usingGpu, true);
      return;
    }
    assert.deepEqual(doc.gpu.reasons.map((r: { kind: string }) => r.kind), want, JSON.stringify(doc.gpu.reasons));
    assert.deepEqual(doc.gpu.tensorflow.devices, []);
    assert.equal(doc.gpu.tensorflow.usingGpu, false);
    const missingReason = doc.gpu.reasons.find((r: { kind: string }) => r.kind === 'missing-library');
    for (const s of missing) assert.ok(missingReason.message.includes(s), `${s} not named: ${missingReason.message}`);
    for (const r of doc.gpu.reasons) assert.ok(doc.warning.includes(r.short), `warning lacks "${r.short}": ${doc.warning}`);
    if (!opens['libcuda.so.1']) assert.ok(doc.gpu.tensorflow.cudaLines.some((l: string) => l.includes("'libcuda.so.1'")), 'TensorFlow itself reports libcuda.so.1 missing');
  });

  test('--backend tensorflow-gpu with the binding not built names the command that builds it', () => {
    // A copy of the CLI whose node_modules holds an unbuilt tfjs-node-gpu (package.json only) beside the real packages.
    const proj = tmpDir();
    fs.cpSync(path.join(ROOT, 'dist', 'src'), path.join(proj, 'dist', 'src'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(proj, 'package.json'));
    const real = fs.realpathSync(path.join(ROOT, 'node_modules'));
    fs.mkdirSync(path.join(proj, 'node_modules', '@tensorflow', 'tfjs-node-gpu'), { recursive: true });
    for (const e of fs.readdirSync(real)) if (e !== '@tensorflow') fs.symlinkSync(path.join(real, e), path.join(proj, 'node_modules', e));
    for (const e of fs.readdirSync(path.join(real, '@tensorflow'))) if (e !== 'tfjs-node-gpu') fs.symlinkSync(path.join(real, '@tensorflow', e), path.join(proj, 'node_modules', '@tensorflow', e));
    fs.copyFileSync(path.join(GPU_DIR, 'package.json'), path.join(proj, 'node_modules', '@tensorflow', 'tfjs-node-gpu', 'package.json'));
    const cli = path.join(proj, 'dist', 'src', 'cli', 'main.js');

    const failed = spawnSync(process.execPath, [cli, 'doctor', '--backend', 'tensorflow-gpu'], { cwd: proj, encoding: 'utf8', env: childEnv({}) });
    assert.notEqual(failed.status, 0);
    assert.match(failed.stderr, /@tensorflow\/tfjs-node-gpu is not built \(.*libtensorflow_framework\.so\.2 is missing\); build it with "npm run setup -- --gpu"/);

    const auto = spawnSync(process.execPath, [cli, 'doctor', '--json'], { cwd: proj, encoding: 'utf8', env: childEnv({}), maxBuffer: 1 << 26 });
    assert.equal(auto.status, 0, auto.stderr.slice(-2000));
    const doc = JSON.parse(auto.stdout);
    assert.equal(doc.backend, 'tensorflow', 'an unbuilt GPU binding is not chosen automatically');
    assert.deepEqual(doc.gpu.reasons.map((r: { kind: string }) => r.kind), ['not-built']);
    assert.match(doc.gpu.reasons[0].message, /run "npm run setup -- --gpu"/);
  });
});
