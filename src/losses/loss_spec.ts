/** One entry of a config's `losses` list. */
export interface LossSpec {
  name: string;
  weight: number;
  /** Loss-specific options, declared and checked by the loss registry (typed and defaulted once parsed). */
  options: Record<string, unknown>;
}
