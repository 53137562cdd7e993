/** How TensorFlow's C++ logging is set in this process (shown by `distill doctor`). */
export interface TfLogLevel {
  /** TF_CPP_MIN_LOG_LEVEL as TensorFlow reads it: 0 everything, 1 warnings and up, 2 errors and up, 3 fatal only. */
  minLogLevel: string;
  /** environment: the user's own TF_CPP_MIN_LOG_LEVEL; verbose: left at TensorFlow's default; quiet: ours. */
  source: 'environment' | 'verbose' | 'quiet';
}

/** Errors still show; TensorFlow's info and warning start-up lines (CPU features, absl, oneDNN) do not. */
export const QUIET_TF_LOG_LEVEL = '2';

/**
 * Sets TF_CPP_MIN_LOG_LEVEL unless the user set it or asked for `verbose`.
 * Must run before the TensorFlow library is loaded: TensorFlow reads the
 * variable once, at its first log call, and some lines come from static
 * initialisers while the library loads. Every TF 2.21 line, including absl's
 * "All log messages before absl::InitializeLog()" and VLOG output
 * (TF_CPP_MAX_VLOG_LEVEL), passes this one severity filter before absl sees
 * it, so no absl setting is needed. An empty value counts as unset (TensorFlow
 * would read it as 0).
 */
export function applyTfLogLevel(verbose: boolean, env: NodeJS.ProcessEnv = process.env): TfLogLevel {
  const own = env.TF_CPP_MIN_LOG_LEVEL?.trim();
  if (own) return { minLogLevel: own, source: 'environment' };
  if (verbose) {
    delete env.TF_CPP_MIN_LOG_LEVEL;
    return { minLogLevel: '0', source: 'verbose' };
  }
  env.TF_CPP_MIN_LOG_LEVEL = QUIET_TF_LOG_LEVEL;
  return { minLogLevel: QUIET_TF_LOG_LEVEL, source: 'quiet' };
}

/** One line for humans, e.g. `TF_CPP_MIN_LOG_LEVEL=2 (quiet default: errors only; --verbose shows all)`. */
export function describeTfLogLevel(l: TfLogLevel): string {
  const why = { environment: 'from the environment', verbose: '--verbose: TensorFlow default, all lines', quiet: 'quiet default: errors only; --verbose shows all' }[l.source];
  return `TF_CPP_MIN_LOG_LEVEL=${l.minLogLevel} (${why})`;
}
