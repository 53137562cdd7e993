import { DatasetSpec } from '../data/dataset_spec';
import { CheckpointSpec, StudentSpec, TeacherSpec, TrackingSpec, TrainSpec } from './experiment_config';

/**
 * What a library user writes: the YAML config as an object, with every key
 * that has a default left optional. `resolveConfig` validates it exactly as a
 * config file is validated and fills the defaults.
 */
export interface ConfigInput {
  name?: string;
  seed?: number;
  output_dir?: string;
  teacher: Partial<TeacherSpec> & { model: string };
  student: Partial<StudentSpec> & { layers: number | number[] };
  /** Each loss: its registered name, a weight (default 1) and its declared options. */
  losses?: Array<{ name: string; weight?: number } & Record<string, unknown>>;
  data: { train: DatasetInput; dev?: DatasetInput; dev_ratio?: number };
  train?: Partial<TrainSpec>;
  checkpoint?: Partial<CheckpointSpec>;
  tracking?: Partial<TrackingSpec>;
}

export type DatasetInput = Partial<DatasetSpec> & Pick<DatasetSpec, 'path' | 'kind'>;
