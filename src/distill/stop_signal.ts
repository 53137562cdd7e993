/** The signals that ask a run to stop: Ctrl-C, and what schedulers and spot instances send before a kill. */
export type StopSignalName = 'SIGINT' | 'SIGTERM';

/** Conventional exit codes: 128 + the signal number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<StopSignalName, number>> = { SIGINT: 130, SIGTERM: 143 };

/** What the training loop and data preparation check between units of work. */
export interface StopRequest {
  /** The first signal received, or null while none has been. */
  readonly requested: StopSignalName | null;
  /** Aborted at the first signal, with a `StopRequested` reason, for work that takes an AbortSignal. */
  readonly abort: AbortSignal;
}

/** The abort reason: data preparation throws it when a stop is requested part-way. */
export class StopRequested extends Error {
  constructor(readonly signal: StopSignalName) {
    super(`stopped by ${signal}`);
    this.name = 'StopRequested';
  }
}

export interface StopListenerOptions {
  /** true: the first signal asks for a stop between steps; false: it stops at once, like the second. */
  graceful: boolean;
  /** Ends the run now (a second signal, or the first when not graceful). Called after the handlers are removed. */
  onImmediate: (signal: StopSignalName) => void;
  log: (line: string) => void;
  /** Where signals come from (a test passes an emitter). */
  source?: NodeJS.EventEmitter;
  /**
   * A repeat of the first signal within this many ms is the same request
   * (default 1000): Ctrl-C under `npm run` reaches us twice, from the
   * terminal's process group and forwarded by npm.
   */
  repeatWindowMs?: number;
}

export interface StopListener extends StopRequest {
  /** Removes the handlers; call it when the run ends, on every path. */
  dispose(): void;
}

/**
 * Handlers for SIGINT and SIGTERM that turn the first signal into a stop
 * request the loop sees between steps, and a second into `onImmediate`.
 * Installing a handler replaces Node's default (die at once), so the
 * handlers live only as long as the run: `dispose` removes them.
 */
export function listenForStop(o: StopListenerOptions): StopListener {
  const source = o.source ?? process;
  const controller = new AbortController();
  let requested: StopSignalName | null = null;
  let requestedAt = 0;
  const handlers = (['SIGINT', 'SIGTERM'] as const).map((sig) => [sig, () => onSignal(sig)] as const);
  const dispose = () => {
    for (const [sig, h] of handlers) source.removeListener(sig, h);
  };
  const onSignal = (sig: StopSignalName) => {
    if (requested === sig && Date.now() - requestedAt < (o.repeatWindowMs ?? 1000)) return;
    if (requested || !o.graceful) {
      dispose();
      o.onImmediate(sig);
      return;
    }
    requested = sig;
    requestedAt = Date.now();
    o.log(`received ${sig}: stopping after the current step and saving a checkpoint (send it again to stop at once, without saving)`);
    controller.abort(new StopRequested(sig));
  };
  for (const [sig, h] of handlers) source.on(sig, h);
  return {
    get requested() {
      return requested;
    },
    abort: controller.signal,
    dispose,
  };
}
