/**
 * bert-distill as a library: load and encode sentence models, build a run
 * from a config (file or object), train it with `trainRun` or step by step
 * with `Trainer.trainStep`, evaluate, export to ONNX, and extend the loss and
 * reader registries. The CLI (`distill`) is a thin layer over these.
 */

// TensorFlow.js, the same instance the library computes with (a peer dependency).
export * as tf from './backend/tf';
export { selectBackend, currentBackend, BACKENDS } from './backend/select_backend';
export type { BackendInfo, BackendName } from './backend/select_backend';

// Models.
export { loadSentenceModel, saveSentenceModel, disposeSentenceModel } from './model/sentence_model';
export type { SentenceModel, LoadOptions } from './model/sentence_model';
export { encodeSentences, embedBatch, embeddingDim } from './model/sentence_encoder';
export type { EncodeOptions, EncodeResult } from './model/sentence_encoder';
export { modelFingerprint } from './model/model_fingerprint';
export type { PoolingConfig, PoolingMode } from './model/pooling';
export { POOLING_OVERRIDES } from './model/pooling_override';
export type { PoolingOverride } from './model/pooling_override';
export { resolveModel } from './hub/resolve_model';
export type { ResolvedModel, ResolveOptions } from './hub/resolve_model';
export { hubSettings } from './hub/hub_settings';
export type { HubSettings } from './hub/hub_settings';

// Configs.
export { loadConfig, parseConfig, configToObject } from './config/parse_config';
export type { ConfigRegistries } from './config/parse_config';
export { resolveConfig } from './config/resolve_config';
export type { ConfigInput, DatasetInput } from './config/config_input';
export type { ExperimentConfig, TrainSpec, StudentSpec, TeacherSpec } from './config/experiment_config';
export { configHash } from './config/config_hash';

// Data.
export { loadDataset, readDataset } from './data/read_dataset';
export { createReaderRegistry, ReaderRegistry } from './data/readers/reader_registry';
export type { RowReader, RawRow, ReaderOptions } from './data/readers/raw_row';
export type { DatasetSpec, DatasetRecord, PairRecord, SentenceRecord, TripletRecord } from './data/dataset_spec';

// Losses.
export { createLossRegistry, LossRegistry, buildLosses } from './losses/loss_registry';
export type { WeightedLoss } from './losses/loss_registry';
export { defineLoss } from './losses/loss_definition';
export type { LossDefinition } from './losses/loss_definition';
export type { OptionSchema, OptionSpec, OptionsOf } from './losses/option_schema';
export type { DistillLoss, LossContext, LossNeeds, StudentOutputs, TeacherTargets } from './losses/distill_loss';
export type { LossSpec } from './losses/loss_spec';

// Training.
export { trainRun } from './pipelines/train_run';
export type { TrainRunOptions, TrainRunSummary, ModelRow } from './pipelines/train_run';
export { TrainingStopped } from './pipelines/training_stopped';
export { planSweep, variantId } from './pipelines/sweep_plan';
export type { SweepPlan, SweepVariant, PlanOptions } from './pipelines/sweep_plan';
export { gridFromArgs, readSpaceFile, expandSpace, DISTRIBUTIONS } from './pipelines/sweep_space';
export type { SweepSpace, KeyValues, Distribution } from './pipelines/sweep_space';
export { runSweep, inProcessRunner, readFinishedSummary } from './pipelines/sweep_run';
export type { SweepRunOptions, SweepResult, VariantRunner, VariantRunRequest } from './pipelines/sweep_run';
export { buildSweepTable, formatSweepMarkdown, formatSweepTsv } from './pipelines/sweep_table';
export type { SweepTable, SweepRow, VariantOutcome, VariantStatus } from './pipelines/sweep_table';
export { listenForStop, SIGNAL_EXIT_CODES } from './distill/stop_signal';
export type { StopRequest, StopSignalName } from './distill/stop_signal';
export { Trainer, NonFiniteLossError } from './distill/trainer';
export type { TrainerParts, StepResult } from './distill/trainer';
export { trainLoop } from './distill/train_loop';
export { makeBatch, totalSteps } from './distill/train_data';
export { memorySource } from './distill/train_source';
export type { TrainSource } from './distill/train_source';
export { PreparedSource } from './distill/prepared_source';
export type { TrainData, StepBatch } from './distill/train_data';
export type { TrainCallback, StepEvent } from './distill/train_callback';
export { AdamW, noDecayForNormAndBias } from './distill/adamw';
export { buildStudent, layerTable } from './distill/build_student';
export type { Student } from './distill/build_student';
export { initialState } from './distill/training_state';
export type { TrainingState, EvalPoint, BestPoint } from './distill/training_state';

// Evaluation.
export type { Evaluator } from './eval/evaluator';
export { StsEvaluator } from './eval/sts_evaluator';
export { MseEvaluator } from './eval/mse_evaluator';
export { evaluateFiles, evaluatePairs } from './eval/eval_files';

// Teacher cache and export.
export { cacheTeacher } from './pipelines/cache_teacher';
export { exportModel, EXPORT_FORMATS } from './export/export_model';
export type { ExportOptions, ExportReport } from './export/export_model';
export { DistillError } from './util/errors';
