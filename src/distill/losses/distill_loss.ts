import * as tf from '../../backend/tf';

/** What the student produced for one batch. */
export interface StudentOutputs {
  /** The deployed sentence embedding (after pooling and, when the model has it, normalisation). */
  embedding: tf.Tensor2D;
  /** Mean-pooled last layer before normalisation (IBKD's Z). */
  pooled: tf.Tensor2D;
  /** h^(0..N) when a loss asked for them. */
  hiddenStates?: tf.Tensor3D[];
  mask: tf.Tensor2D;
}

/** Teacher side: cached sentence embeddings. */
export interface TeacherTargets {
  embedding: tf.Tensor2D;
}

export interface DistillLoss {
  readonly name: string;
  /** Trainable parameters the loss owns (projection heads): trained with the student, never exported. */
  readonly params: Map<string, tf.Variable>;
  readonly needsHiddenStates: boolean;
  compute(s: StudentOutputs, t: TeacherTargets): tf.Scalar;
}

export interface LossContext {
  studentDim: number;
  teacherDim: number;
  seed: number;
  /** Where in the config the loss sits, for error messages. */
  where: string;
}
