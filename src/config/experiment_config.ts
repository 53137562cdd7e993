import { DatasetSpec } from '../data/dataset_spec';
import { LossSpec } from '../losses/loss_spec';
import { PoolingOverride } from '../model/pooling_override';

export type { LossSpec };

/**
 * One typed config for a distillation run. "What to distill" (teacher,
 * student, losses, data) is kept apart from "how to train" (train,
 * checkpoint, tracking). Defaults live in parse_config.ts, nowhere else.
 */
export interface ExperimentConfig {
  name: string;
  seed: number;
  output_dir: string;
  teacher: TeacherSpec;
  student: StudentSpec;
  losses: LossSpec[];
  data: DataSpec;
  train: TrainSpec;
  checkpoint: CheckpointSpec;
  tracking: TrackingSpec;
}

export interface TeacherSpec {
  /** Model folder (Hugging Face / sentence-transformers layout). */
  model: string;
  /** Cache teacher sentence embeddings on disk (Arrow IPC). */
  cache: boolean;
  cache_dir: string;
  batch_size: number;
  /** Pool the teacher this way instead of as its folder says; `pooler` is BERT's dense + tanh pooler (SimCSE's `cls`). */
  pooling?: PoolingOverride;
  /**
   * What computes the teacher's sentence embeddings (cache-teacher, and the
   * teacher pass of a run): tfjs (this framework's encoder), onnx (the
   * teacher exported to ONNX, in onnxruntime-node), or auto (onnx when the
   * teacher can be exported, else tfjs). Both agree within 1e-5, so the
   * teacher cache serves either (see pipelines/teacher_runtime.ts). Default
   * tfjs: onnxruntime's rows depend (in the last bits) on how a batch is
   * padded, so only tfjs on the pure-JS cpu backend gives a sentence the same
   * bits in any batch (which sharded cache-teacher runs compared bit for bit
   * rely on); the shipped configs set auto.
   */
  runtime: TeacherRuntimeName;
}

export const TEACHER_RUNTIMES = ['auto', 'onnx', 'tfjs'] as const;
export type TeacherRuntimeName = (typeof TEACHER_RUNTIMES)[number];

export interface StudentSpec {
  /**
   * Where the student's layers, embeddings and tokenizer come from: a model
   * folder or Hub id (another family and tokenizer than the teacher's is fine
   * for embedding-level losses). Default: the teacher.
   */
  model?: string;
  /** Keep these teacher layers (0-based), or this many chosen uniformly; with hidden_size, the layer count of a fresh encoder. */
  layers: number | number[];
  /** A fresh, randomly initialised encoder of this width instead of a teacher layer subset. */
  hidden_size?: number;
  num_attention_heads?: number;
  intermediate_size?: number;
  /** Override the max sequence length (default: the teacher's). */
  max_seq_length?: number;
}

export interface DataSpec {
  train: DatasetSpec;
  dev?: DatasetSpec;
  /** When no dev file: hold out this share of train. */
  dev_ratio?: number;
  /** Rows per prepared-dataset chunk file (default 4096). */
  chunk_rows?: number;
  /** Chunks per shuffle window: rows are shuffled and length-bucketed within a window, and one window is in memory (default 8). */
  window_chunks?: number;
}

export interface TrainSpec {
  epochs: number;
  /** Stop after this many optimizer steps even if epochs remain. */
  max_steps?: number;
  batch_size: number;
  lr: number;
  warmup_ratio: number;
  weight_decay: number;
  adam_eps: number;
  max_grad_norm: number;
  grad_accum: number;
  bucketed: boolean;
  eval_every: number;
  log_every: number;
  /** Evaluator name that decides "best" (e.g. spearman, mse_to_teacher); default the run's first dev evaluator. */
  metric_for_best?: string;
  /** On SIGINT/SIGTERM: finish the step and save a checkpoint (true), or stop at once without saving. */
  signal_checkpoint: boolean;
}

export interface CheckpointSpec {
  every: number;
  keep_last: number;
}

export interface TrackingSpec {
  /** MLflow tracking server; MLFLOW_TRACKING_URI is used when unset. */
  mlflow_uri?: string;
  experiment: string;
  /** Send metrics to MLflow once this many are queued (and at every evaluation and at the end). */
  batch_every: number;
  retry_initial_ms: number;
  retry_max_ms: number;
  /** How long the end of a run waits for an unreachable server before leaving the rest to --resume. */
  final_timeout_s: number;
}
