import { KEY_PATTERN, LIMITS } from './mlflow_client';

export interface ParamCheck {
  params: Array<{ key: string; value: string }>;
  /** Params MLflow would reject, reported by name instead of silently truncated. */
  rejected: string[];
}

/** The resolved config flattened to dotted keys (`train.lr`, `losses.0.name`), checked against MLflow's limits. */
export function flattenParams(obj: unknown, prefix = ''): ParamCheck {
  const params: Array<{ key: string; value: string }> = [];
  const rejected: string[] = [];
  const walk = (v: unknown, key: string) => {
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => typeof x !== 'object'))) {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, key ? `${key}.${k}` : k);
      return;
    }
    if (v === undefined) return;
    const value = Array.isArray(v) ? JSON.stringify(v) : String(v);
    if (key.length > LIMITS.keyLength || !KEY_PATTERN.test(key)) rejected.push(`param key "${key.slice(0, 60)}..." (${key.length} chars; MLflow allows ${LIMITS.keyLength} of [/\\w.\\- ])`);
    else if (value.length > LIMITS.paramValueLength) rejected.push(`param "${key}" value of ${value.length} chars (MLflow allows ${LIMITS.paramValueLength}); the full value is in the config.resolved.json artifact`);
    else params.push({ key, value });
  };
  walk(obj, prefix);
  return { params, rejected };
}
