import * as tf from '../backend/tf';
import { ExperimentConfig } from '../config/experiment_config';
import { buildStudent } from '../distill/build_student';
import { resolveModel } from '../hub/resolve_model';
import { disposeSentenceModel, loadSentenceModel, SentenceModel } from '../model/sentence_model';
import { TeacherCache } from '../teacher/teacher_cache';
import { TeacherEncode } from '../teacher/teacher_embeddings';
import { teacherFingerprint } from '../teacher/teacher_fingerprint';
import { prepareData } from './prepare_data';

export interface PreparedSummary {
  dir: string;
  rows: number;
  /** True when a prepared dataset of this key was there already. */
  reused: boolean;
}

/**
 * After `cache-teacher` filled the teacher cache (whole, or by a merge):
 * the prepared dataset `distill train` of this config reads (student token
 * ids + teacher rows, prepare_data.ts, same key), so the run starts without
 * tokenising or looking up a row. The student is built as train builds it,
 * for its tokenizer and max length only, and released.
 */
export async function prepareFromCache(cfg: ExperimentConfig, teacher: SentenceModel, cache: TeacherCache, encode: TeacherEncode, quiet?: boolean): Promise<PreparedSummary> {
  const studentDir = cfg.student.model ? (await resolveModel(cfg.student.model, { where: 'student.model', quiet })).dir : undefined;
  const base = studentDir ? loadSentenceModel(studentDir) : teacher;
  try {
    const student = buildStudent(base, cfg.student, cfg.seed);
    try {
      // runDir is only used without a teacher cache, which cache-teacher always has.
      const p = await prepareData(cfg, teacher, teacherFingerprint(teacher).fingerprint, student.model, cache.dir, { quiet, openCache: () => cache, encode });
      return { dir: p.dir, rows: p.manifest.rows, reused: p.reused };
    } finally {
      tf.dispose([...student.variables.values()]);
    }
  } finally {
    if (base !== teacher) disposeSentenceModel(base);
  }
}
