/** One TensorFlow setting read from the environment when its library loads (shown by `distill doctor`). */
export interface TfEnvSetting {
  name: string;
  value: string;
  /** default: ours, set before TensorFlow loaded; environment: the user's own value, left as is. */
  source: 'default' | 'environment';
  why: string;
}

/**
 * Settings measured to pay on CPU (issue "Speed"; README's speed table), set
 * before TensorFlow loads so users need not know them. Only what measured
 * faster is here. TF_ENABLE_ONEDNN_OPTS=0 measured mixed (faster small ops,
 * slower large ones); TF_NUM_INTEROP_THREADS=1 looked faster on a loaded
 * 2-core machine but is not confirmed on a quiet one, so neither is set.
 */
export const TF_ENV_DEFAULTS: ReadonlyArray<Omit<TfEnvSetting, 'source'>> = [
  {
    name: 'TF_CPU_ALLOCATOR_USE_BFC',
    value: '1',
    // The default CPU allocator hands every large output fresh pages from the
    // OS (12,289 page faults for one 4096 x 3072 result); BFC reuses freed buffers.
    why: 'reuse freed buffers instead of fresh pages per op: faster steps, lower peak memory',
  },
];

/**
 * Sets each of TF_ENV_DEFAULTS the user has not set. Must run before the
 * TensorFlow library is loaded: TensorFlow reads these once, when its CPU
 * allocator and thread pools are created. An empty value counts as unset, as
 * for TF_CPP_MIN_LOG_LEVEL (tf_log_level.ts).
 */
export function applyTfEnvDefaults(env: NodeJS.ProcessEnv = process.env): TfEnvSetting[] {
  return TF_ENV_DEFAULTS.map((d) => {
    const own = env[d.name]?.trim();
    if (own) return { ...d, value: own, source: 'environment' };
    env[d.name] = d.value;
    return { ...d, source: 'default' };
  });
}

/** One line per setting, e.g. `TF_CPU_ALLOCATOR_USE_BFC=1 (default: reuse freed buffers ...)`. */
export function describeTfEnv(settings: TfEnvSetting[]): string[] {
  return settings.map((s) => `${s.name}=${s.value} (${s.source === 'default' ? `default: ${s.why}` : 'from the environment'})`);
}
