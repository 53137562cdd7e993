import { DistillError } from './errors';

/**
 * Refuses a loaded tensor holding NaN or ±Inf, naming it and the first bad
 * index: a corrupt checkpoint must stop the resume at load, not steps later
 * with a misleading "non-finite loss".
 */
export function assertFinite(data: ArrayLike<number>, what: string, file: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new DistillError(`${what} holds ${data[i]} at index ${i}; the checkpoint is corrupt (delete its folder to resume from the one before)`, file);
    }
  }
}
