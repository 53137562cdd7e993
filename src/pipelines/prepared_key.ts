import * as crypto from 'crypto';
import * as fs from 'fs';
import { ExperimentConfig } from '../config/experiment_config';
import { SentenceModel } from '../model/sentence_model';

/** Bumped when the chunk layout or what a row holds changes, so old folders are not read as new. */
const FORMAT = 1;

/** sha256 of a file's bytes, streamed; null when it cannot be read (the reader then reports why, with file and line). */
async function fileDigest(file: string): Promise<string | null> {
  const hash = crypto.createHash('sha256');
  try {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch {
    return null;
  }
  return hash.digest('hex');
}

/**
 * The key of a prepared dataset: everything its rows are made of. The data
 * file's bytes and read spec (and the dev split, which takes rows out), the
 * student's tokenizer and max length (the ids), the teacher's fingerprint
 * (the targets) and the chunk size. Any change gives a new folder; nothing
 * stale is ever read. Null when the data file cannot be read.
 */
export async function preparedKey(cfg: ExperimentConfig, teacherFingerprint: string, student: SentenceModel, chunkRows: number): Promise<string | null> {
  const data = await fileDigest(cfg.data.train.path);
  if (!data) return null;
  const parts = {
    format: FORMAT,
    data_sha256: data,
    spec: { ...cfg.data.train, path: undefined },
    split: cfg.data.dev_ratio ? { dev_ratio: cfg.data.dev_ratio, seed: cfg.seed } : null,
    tokenizer: student.tokenizer.fingerprint(),
    max_seq_length: student.maxSeqLength,
    pad_id: student.tokenizer.padId,
    teacher: teacherFingerprint,
    chunk_rows: chunkRows,
  };
  return crypto.createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}
