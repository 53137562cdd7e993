import * as tf from '../backend/tf';

/** What the student produced for one batch. */
export interface StudentOutputs {
  /** The deployed sentence embedding (after pooling and, when the model has it, normalisation). */
  embedding: tf.Tensor2D;
  /** Pooled last layer, through any Dense modules, before normalisation (IBKD's Z). */
  pooled: tf.Tensor2D;
  /** h^(0..N) when a loss asked for them. */
  hiddenStates?: tf.Tensor3D[];
  /** Per layer [B, heads, L, L] attention probabilities / pre-softmax scores, when asked. */
  attentions?: tf.Tensor4D[];
  attentionScores?: tf.Tensor4D[];
  mask: tf.Tensor2D;
  /** Rows come in groups of this size: 1 for sentences, 3 for (query, positive, negative) triplets. */
  groupSize: number;
}

/** Teacher side: cached sentence embeddings, plus a live forward pass for layer-wise losses. */
export interface TeacherTargets {
  embedding: tf.Tensor2D;
  hiddenStates?: tf.Tensor3D[];
  attentions?: tf.Tensor4D[];
  attentionScores?: tf.Tensor4D[];
}

export interface LossNeeds {
  hiddenStates?: boolean;
  attentions?: boolean;
  attentionScores?: boolean;
  /** The teacher must run on each batch (its cached sentence embeddings are not enough). */
  teacherLive?: boolean;
  /** Training rows must be (query, positive, negative) triplets. */
  triplets?: boolean;
}

export interface DistillLoss {
  readonly name: string;
  /** Trainable parameters the loss owns (projection heads): trained with the student, never exported. */
  readonly params: Map<string, tf.Variable>;
  readonly needs: LossNeeds;
  compute(s: StudentOutputs, t: TeacherTargets): tf.Scalar;
}

export interface LossContext {
  studentDim: number;
  teacherDim: number;
  seed: number;
  /** Where in the config the loss sits, for error messages. */
  where: string;
  /** Layer-wise losses: the two encoders' shapes and which teacher layer each student layer came from. */
  studentLayers?: number;
  teacherLayers?: number;
  studentHidden?: number;
  teacherHidden?: number;
  studentHeads?: number;
  teacherHeads?: number;
  keptLayers?: number[];
}
