import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers/env';

/** Top-level folder of src/ each file imports from, by folder (type-only imports included: they couple too). */
function folderEdges(): Map<string, Set<string>> {
  const src = path.join(ROOT, 'src');
  const edges = new Map<string, Set<string>>();
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  for (const file of walk(src)) {
    const from = path.relative(src, file).split(path.sep)[0];
    if (from.endsWith('.ts')) continue;
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const to = path.relative(src, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
      if (to !== from && !to.startsWith('..')) {
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
  }
  return edges;
}

test('folders of src/ import each other without cycles; the tokenizer is a leaf above util', () => {
  const edges = folderEdges();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (n: string, trail: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push([...trail.slice(trail.indexOf(n)), n].join(' -> '));
      return;
    }
    state.set(n, 'open');
    for (const m of edges.get(n) ?? []) visit(m, [...trail, n]);
    state.set(n, 'done');
  };
  for (const n of edges.keys()) visit(n, []);
  assert.deepEqual(cycles, [], `import cycles between folders: ${cycles.join('; ')}`);
  assert.deepEqual([...(edges.get('tokenizer') ?? [])].filter((t) => t !== 'util'), [], 'tokenizer imports only util');
  assert.deepEqual([...(edges.get('hub') ?? [])].filter((t) => t !== 'util'), [], 'hub (Hub ids to cached folders) imports only util');
  assert.ok(!edges.get('model')?.has('data') && !edges.get('data')?.has('model'), 'model and data do not import each other');
  assert.ok(edges.get('teacher')?.has('model'), 'the teacher cache sits above the model');
});
