// Preloaded with `node --require` into a child test process: at exit it writes
// which native TensorFlow files the process really mapped (/proc/self/maps,
// the dynamic loader's own record) and which tfjs-node entry files it
// required, to the file named by DISTILL_TEST_NATIVE_LIBS_OUT.
import * as fs from 'fs';

const out = process.env.DISTILL_TEST_NATIVE_LIBS_OUT;
if (out) {
  process.on('exit', () => {
    const mapped = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter((f) => /tensorflow|tfjs_binding|nvidia|libcu/.test(f));
    const required = Object.keys(require.cache).filter((k) => /@tensorflow[/\\]tfjs-node(-gpu)?[/\\]dist[/\\]index\.js$/.test(k));
    fs.writeFileSync(out, JSON.stringify({ mapped: [...new Set(mapped)], required }));
  });
}
