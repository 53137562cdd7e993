import * as fs from 'fs';
import * as path from 'path';
import * as tf from '../backend/tf';
import { readSafetensors, writeSafetensors } from '../model/safetensors';
import { saveSentenceModel, SentenceModel } from '../model/sentence_model';
import { DistillError } from '../util/errors';
import { writeDirAtomic, writeFileChecked } from '../util/atomic_write';
import { verifyManifest, writeManifest } from '../util/file_manifest';
import { whileWriting } from '../util/while_writing';
import { TrainingState, upgradeState } from './training_state';

export const STATE_FILE = 'training_state.json';
export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const HEADS_FILE = 'loss_heads.safetensors';

function tensorsToRaw(ts: Map<string, tf.Tensor>) {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of ts) out.set(k, { shape: t.shape, data: t.dataSync() as Float32Array });
  return out;
}

/**
 * Writes a training checkpoint atomically (util/atomic_write): a crash never
 * leaves a folder that looks like a checkpoint but is not. The folder is a
 * loadable sentence-transformers model plus optimizer slots, loss heads and
 * training state, and a manifest (util/file_manifest) of every file's size
 * and sha256, written last, so later corruption is detected on load. For the
 * serving copy of the best model see best_model.ts.
 */
export function saveCheckpoint(dir: string, model: SentenceModel, state: TrainingState, optimizerSlots: Map<string, tf.Tensor>, heads: Map<string, tf.Tensor>): void {
  whileWriting('checkpoint', () => writeDirAtomic(dir, (tmp) => {
    saveSentenceModel(model, tmp);
    writeSafetensors(path.join(tmp, OPTIMIZER_FILE), tensorsToRaw(optimizerSlots));
    if (heads.size) writeSafetensors(path.join(tmp, HEADS_FILE), tensorsToRaw(heads));
    writeFileChecked(path.join(tmp, STATE_FILE), JSON.stringify(state, null, 2));
    writeManifest(tmp);
  }));
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainingState;
  optimizer: Map<string, { shape: number[]; data: Float32Array }>;
  heads: Map<string, { shape: number[]; data: Float32Array }>;
}

/**
 * Reads training state and slots, refusing anything that is not one of our
 * complete checkpoints, or whose files no longer match its manifest (a
 * DistillError naming the file). Checkpoints written before manifests have
 * none and still load, unverified.
 */
export function loadCheckpointState(dir: string): LoadedCheckpoint {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) throw new DistillError(`not a training checkpoint: ${STATE_FILE} is missing`, dir);
  verifyManifest(dir);
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  } catch (e) {
    throw new DistillError(`corrupt training state (${(e as Error).message})`, stateFile, { cause: e });
  }
  const state = raw && typeof raw === 'object' ? upgradeState(raw) : null;
  if (!state || typeof state.step !== 'number' || typeof state.configHash !== 'string') {
    throw new DistillError('foreign or corrupt training state: expected version 1 or 2 with step and configHash', stateFile);
  }
  const toRaw = (file: string) => {
    const m = new Map<string, { shape: number[]; data: Float32Array }>();
    if (!fs.existsSync(file)) return m;
    for (const [k, t] of readSafetensors(file)) m.set(k, { shape: t.shape, data: t.data as Float32Array });
    return m;
  };
  return { dir, state, optimizer: toRaw(path.join(dir, OPTIMIZER_FILE)), heads: toRaw(path.join(dir, HEADS_FILE)) };
}

/** Step checkpoints in a run folder, oldest first. */
export function listCheckpoints(runDir: string): string[] {
  const root = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((f) => /^step-\d+$/.test(f)).sort().map((f) => path.join(root, f));
}

/** Keeps the newest `keep` step checkpoints. */
export function pruneCheckpoints(runDir: string, keep: number): void {
  const all = listCheckpoints(runDir);
  for (const d of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(d, { recursive: true, force: true });
}

export function checkpointDir(runDir: string, step: number): string {
  return path.join(runDir, 'checkpoints', `step-${String(step).padStart(7, '0')}`);
}
