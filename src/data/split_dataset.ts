import { Rng } from '../util/rng';

/** Seeded shuffle, then the first (1 - ratio) share is train and the rest dev. */
export function splitByRatio<T>(records: T[], devRatio: number, seed: number): { train: T[]; dev: T[] } {
  const shuffled = new Rng(seed).shuffle([...records]);
  const nDev = Math.round(records.length * devRatio);
  return { train: shuffled.slice(0, shuffled.length - nDev), dev: shuffled.slice(shuffled.length - nDev) };
}
