import * as fs from 'fs';
import { DistillError } from '../util/errors';

/** Where a model comes from: a folder on disk, or a Hub repository at a revision. */
export type ModelRef = { kind: 'local'; dir: string } | { kind: 'hub'; repo: string; revision: string };

const HUB_ID = /^([A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*)(?:@([\w./-]+))?$/;

/**
 * A path that exists is a folder, always: a local `org/name` folder wins over
 * the Hub id of the same spelling, so a user's own copy is never shadowed.
 * Otherwise `org/name` or `org/name@<branch|tag|commit>` names a Hub model.
 */
export function parseModelRef(spec: string, where = 'model'): ModelRef {
  if (fs.existsSync(spec)) return { kind: 'local', dir: spec };
  const m = HUB_ID.exec(spec);
  if (!m || spec.startsWith('.') || m[1].includes('..')) {
    throw new DistillError(`model folder does not exist (${where}), and this is not a Hub id either (org/name or org/name@revision)`, spec);
  }
  return { kind: 'hub', repo: m[1], revision: m[2] ?? 'main' };
}
