import * as tf from '../backend/tf';
import { StudentSpec } from '../config/experiment_config';
import { EncoderConfig, maxTokens } from '../model/encoder_config';
import { expectedBertShapes, layerPrefix, BertWeights } from '../model/bert_weights';
import { SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { chooseLayers } from './layer_choice';

export interface Student {
  model: SentenceModel;
  /** Layer index, in the model it was cut from, of each student layer; null for a fresh encoder. */
  keptLayers: number[] | null;
  /** Layer count of the model the student was cut from (the teacher, or student.model). */
  sourceLayers: number;
  /** Trainable weights, keyed like the model's weights (Hugging Face names). */
  variables: Map<string, tf.Variable>;
}

/**
 * The student: by default a subset of the teacher's layers (the sentence-
 * transformers / DMetaSoul recipe) with the teacher's embeddings, width,
 * tokenizer, pooling and Dense modules (trained with the layers), so it
 * starts in the teacher's space. With `hidden_size` it is a fresh encoder of
 * that width (BERT init), sharing only the tokenizer and pooling; losses add
 * learned projections where widths differ.
 */
export function buildStudent(teacher: SentenceModel, spec: StudentSpec, seed = 42): Student {
  const maxSeqLength = Math.min(spec.max_seq_length ?? teacher.maxSeqLength, maxTokens(teacher.config));
  if (spec.hidden_size !== undefined) return freshStudent(teacher, spec, maxSeqLength, seed);
  const kept = chooseLayers(spec.layers, teacher.config.numHiddenLayers);
  const variables = new Map<string, tf.Variable>();
  // Variables get the engine's own unique names; the map keys stay the Hugging Face names.
  // A variable shares the teacher tensor's buffer until its first update replaces it.
  const add = (to: string, from: string) => variables.set(to, tf.variable(teacher.weights.get(from)!, true));
  // Everything outside the layers comes along (embeddings, MPNet's shared relative bias, Dense modules), except the unused pooler.
  const shared = (name: string) => !name.startsWith('encoder.layer.') && !name.startsWith('pooler.');
  for (const name of teacher.weights.keys()) if (shared(name)) add(name, name);
  kept.forEach((t, s) => {
    for (const name of teacher.weights.keys()) if (name.startsWith(layerPrefix(t))) add(layerPrefix(s) + name.slice(layerPrefix(t).length), name);
  });
  // The layer count lives in numHiddenLayers only: each family's configToJson writes it under its own key (n_layers, num_hidden_layers).
  const config = { ...teacher.config, numHiddenLayers: kept.length };
  return { model: { ...teacher, config, weights: new Map(variables) as BertWeights, maxSeqLength, stats: { sentencesEncoded: 0 } }, keptLayers: kept, sourceLayers: teacher.config.numHiddenLayers, variables };
}

function freshStudent(teacher: SentenceModel, spec: StudentSpec, maxSeqLength: number, seed: number): Student {
  if (Array.isArray(spec.layers)) throw new DistillError('a fresh student takes a layer count, not a list', 'student.layers');
  const H = spec.hidden_size!;
  const heads = spec.num_attention_heads ?? Math.max(1, Math.round(H / 64));
  if (H % heads !== 0) throw new DistillError(`hidden_size ${H} is not divisible by num_attention_heads ${heads}`, 'student.hidden_size');
  const config: EncoderConfig = {
    ...teacher.config,
    hiddenSize: H,
    numHiddenLayers: spec.layers,
    numAttentionHeads: heads,
    intermediateSize: spec.intermediate_size ?? 4 * H,
    extra: { ...teacher.config.extra },
  };
  const variables = new Map<string, tf.Variable>();
  // Tables the family fixes instead of drawing (DistilBERT's sinusoidal positions). They stay trainable, as
  // transformers 5 leaves them (4.x froze them); the checkpoint holds the table either way.
  const fixed = teacher.arch.fixedInit?.(config) ?? new Map<string, Float32Array>();
  let i = 0;
  for (const [name, shape] of expectedBertShapes(config)) {
    // BERT init (transformers _init_weights): normal(0, 0.02) weights, LayerNorm 1 / 0, zero biases.
    const init = fixed.has(name) ? tf.tensor(fixed.get(name)!, shape, 'float32')
      : name.endsWith('LayerNorm.weight') ? tf.ones(shape) : name.endsWith('.bias') ? tf.zeros(shape) : tf.randomNormal(shape, 0, 0.02, 'float32', seed + i++);
    variables.set(name, tf.variable(init, true));
    init.dispose();
  }
  const pooling = { ...teacher.pooling, dimension: H };
  // The teacher's Dense modules take its width; a fresh student of another width starts without them.
  return { model: { ...teacher, config, pooling, dense: [], weights: new Map(variables) as BertWeights, maxSeqLength, stats: { sentencesEncoded: 0 } }, keptLayers: null, sourceLayers: teacher.config.numHiddenLayers, variables };
}

/** The table printed at start: which layer of its source (`teacher`, or student.model's name) each student layer came from. */
export function layerTable(student: Student, source = 'teacher'): string {
  const params = [...student.variables.values()].reduce((a, v) => a + v.size, 0);
  const c = student.model.config;
  if (!student.keptLayers) {
    const fixed = [...(student.model.arch.fixedInit?.(c).keys() ?? [])].map((n) => `; ${n} from the ${c.family} formula`).join('');
    return `student: fresh encoder, ${c.numHiddenLayers} layers x ${c.hiddenSize} wide, ${c.numAttentionHeads} heads, FFN ${c.intermediateSize}, ${(params / 1e6).toFixed(1)}M parameters (random BERT init${fixed})`;
  }
  const rows = student.keptLayers.map((t, s) => `  student layer ${s}  <-  ${source} layer ${t}`);
  const dense = student.model.dense.map((d, i) => `  Dense ${i} (${d.inFeatures}->${d.outFeatures})  <-  ${source} Dense ${i}`);
  const head = `student (${c.modelType}): ${student.keptLayers.length} of ${student.sourceLayers} ${source} layers, ${(params / 1e6).toFixed(1)}M parameters`;
  return [head, `  embeddings       <-  ${source} embeddings`, ...rows, ...dense].join('\n');
}
