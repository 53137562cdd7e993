import * as fs from 'fs';
import * as path from 'path';
import { DATA } from './env';

/** Every distinct sentence of STS-B dev (English), in file order. */
export function stsbDevSentences(): string[] {
  const lines = fs.readFileSync(path.join(DATA, 'en', 'stsb-dev.tsv'), 'utf8').split('\n').slice(1).filter(Boolean);
  return unique(lines.flatMap((l) => l.split('\t').slice(6, 8)));
}

/** Every distinct sentence of Chinese STS-B dev. */
export function cstsDevSentences(): string[] {
  const lines = fs.readFileSync(path.join(DATA, 'zh', 'csts-dev.txt'), 'utf8').split('\n').filter(Boolean);
  return unique(lines.flatMap((l) => l.split('\t').slice(0, 2)));
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
