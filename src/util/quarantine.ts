import * as fs from 'fs';

/**
 * Moves a corrupt file or folder aside as `<path>.bad-<time>`: out of the
 * way of every reader (none reads `*.bad-*` names), kept for a person to
 * inspect or delete. Returns the new path.
 */
export function quarantine(p: string): string {
  const aside = `${p.replace(/\/+$/, '')}.bad-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(p, aside);
  return aside;
}
