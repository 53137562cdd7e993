import { ConfigInput } from './config_input';
import { ExperimentConfig } from './experiment_config';
import { ConfigRegistries, parseConfig } from './parse_config';

/**
 * A run's config from an object in code: the same validation and defaults as
 * a config file (errors name `where` and the key), with the registries that
 * hold any user-registered losses or readers.
 */
export function resolveConfig(input: ConfigInput, registries: ConfigRegistries = {}, where = 'config object'): ExperimentConfig {
  // parseConfig never mutates its input; the copy keeps the caller's object out of the resolved config.
  return parseConfig(JSON.parse(JSON.stringify(input)) as Record<string, unknown>, where, registries);
}
