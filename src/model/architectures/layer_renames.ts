/**
 * A family's per-layer tensor names against our canonical (BERT) ones, both
 * after `<stack>.layer.N.` and ending in `.` (e.g. `attention.q_lin.` against
 * `attention.self.query.`), and the stack each side keeps its layers under.
 */
export interface LayerRenames {
  familyStack: string;
  table: ReadonlyArray<readonly [family: string, canonical: string]>;
}

const CANONICAL_STACK = 'encoder';

function rename(name: string, fromStack: string, toStack: string, pairs: ReadonlyArray<readonly [string, string]>): string {
  const m = new RegExp(`^${fromStack.replace(/\./g, '\\.')}\\.layer\\.(\\d+)\\.(.*)$`).exec(name);
  if (!m) return name;
  const hit = pairs.find(([from]) => m[2].startsWith(from));
  return hit ? `${toStack}.layer.${m[1]}.${hit[1]}${m[2].slice(hit[0].length)}` : name;
}

/** A checkpoint's layer tensor name to ours; names outside the table pass through. */
export function layerToCanonical(name: string, r: LayerRenames): string {
  return rename(name, r.familyStack, CANONICAL_STACK, r.table);
}

/** Our layer tensor name back to the family's, for saving. */
export function layerFromCanonical(name: string, r: LayerRenames): string {
  return rename(name, CANONICAL_STACK, r.familyStack, r.table.map(([f, c]) => [c, f] as const));
}
