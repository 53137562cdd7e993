import * as crypto from 'crypto';
import { ExperimentConfig } from './experiment_config';

/** Hash of what determines the trajectory; resuming with a different one is refused unless forced. */
export function configHash(cfg: ExperimentConfig): string {
  const { tracking: _t, ...rest } = cfg;
  return crypto.createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}
