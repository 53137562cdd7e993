import * as tf from '../backend/tf';
import { layerPrefix, BertWeights } from '../model/bert_weights';
import { SentenceModel } from '../model/sentence_model';
import { chooseLayers } from './layer_choice';

let built = 0;

export interface Student {
  model: SentenceModel;
  /** Teacher layer index of each student layer. */
  keptLayers: number[];
  /** Trainable copies of the student's weights, keyed like the model's weights. */
  variables: Map<string, tf.Variable>;
}

/**
 * A student that keeps a subset of the teacher's layers (the sentence-
 * transformers / DMetaSoul recipe): same embeddings, width, tokenizer and
 * pooling, so it starts in the teacher's embedding space. The pooler is dropped.
 */
export function buildStudent(teacher: SentenceModel, layers: number | number[], maxSeqLength?: number): Student {
  const kept = chooseLayers(layers, teacher.config.numHiddenLayers);
  const variables = new Map<string, tf.Variable>();
  const tag = `student${++built}`;
  // Engine-wide variable names must be unique; the map keys stay the Hugging Face names.
  // A variable shares the teacher tensor's buffer until its first update replaces it.
  const add = (to: string, from: string) => variables.set(to, tf.variable(teacher.weights.get(from)!, true, `${tag}/${to}`));
  for (const name of teacher.weights.keys()) if (name.startsWith('embeddings.')) add(name, name);
  kept.forEach((t, s) => {
    for (const name of teacher.weights.keys()) if (name.startsWith(layerPrefix(t))) add(layerPrefix(s) + name.slice(layerPrefix(t).length), name);
  });
  const weights: BertWeights = new Map(variables);
  const config = { ...teacher.config, numHiddenLayers: kept.length, extra: { ...teacher.config.extra, num_hidden_layers: kept.length } };
  return {
    model: { ...teacher, config, weights, maxSeqLength: Math.min(maxSeqLength ?? teacher.maxSeqLength, teacher.config.maxPositionEmbeddings) },
    keptLayers: kept,
    variables,
  };
}

/** The table printed at start: which teacher layer each student layer came from. */
export function layerTable(student: Student, teacherLayers: number): string {
  const rows = student.keptLayers.map((t, s) => `  student layer ${s}  <-  teacher layer ${t}`);
  const params = [...student.variables.values()].reduce((a, v) => a + v.size, 0);
  return [`student: ${student.keptLayers.length} of ${teacherLayers} teacher layers, ${(params / 1e6).toFixed(1)}M parameters`, '  embeddings       <-  teacher embeddings', ...rows].join('\n');
}
