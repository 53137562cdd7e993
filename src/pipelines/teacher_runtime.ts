import { currentBackend } from '../backend/select_backend';
import { TeacherRuntimeName } from '../config/experiment_config';
import { OnnxEncoder } from '../export/onnx_encoder';
import { cachedOnnxFile } from '../export/onnx_model_cache';
import { readableSync } from '../backend/webgpu_backend';
import { SentenceModel } from '../model/sentence_model';
import { TeacherEncode, tfjsTeacherEncode } from '../teacher/teacher_embeddings';
import { DistillError } from '../util/errors';

/** The teacher pass on the runtime `teacher.runtime` picks; `release()` closes its session, on any path. */
export interface TeacherRuntime {
  encode: TeacherEncode;
  /** The runtime that ran, once the first sentences were computed; null before (a fully cached teacher opens nothing). */
  chosen(): 'tfjs' | 'onnx' | null;
  release(): Promise<void>;
}

interface Opened {
  name: 'tfjs' | 'onnx';
  encode: TeacherEncode;
  onnx?: OnnxEncoder;
}

/**
 * The teacher's embeddings on tfjs or on onnxruntime-node (the teacher
 * exported to ONNX, built once per model fingerprint under `onnxDir`).
 * `auto` takes onnx whenever the teacher exports: onnxruntime-node encoded
 * 1.7-2x faster than tfjs-node on a quiet 2-core CPU (bench:encode, bench:teacher)
 * and agrees within 1e-5;
 * a teacher that cannot be exported stays on tfjs. The choice and its reason
 * are logged once, when the first sentence needs computing.
 *
 * The runtime does not join the teacher cache's key (the teacher
 * fingerprint): rows either runtime wrote serve the other, as the two differ
 * by ~1e-6, well below what moves a distillation run.
 */
export function teacherRuntime(model: SentenceModel, runtime: TeacherRuntimeName, opts: { onnxDir: string; log?: (line: string) => void; threads?: number }): TeacherRuntime {
  const log = opts.log ?? (() => {});
  let opened: Promise<Opened> | undefined;
  let name: Opened['name'] | null = null;
  const open = async (): Promise<Opened> => {
    const tfjs: Opened = { name: 'tfjs', encode: tfjsTeacherEncode(model) };
    if (runtime === 'tfjs') {
      log('teacher runtime: tfjs (teacher.runtime: tfjs)');
      return tfjs;
    }
    let file: string;
    try {
      await readableSync(model.weights.values());
      file = cachedOnnxFile(model, opts.onnxDir);
    } catch (e) {
      const why = `the teacher cannot be exported to ONNX: ${(e as Error).message}`;
      if (runtime === 'onnx') throw new DistillError(`teacher.runtime onnx: ${why}; use auto or tfjs`, 'teacher.runtime');
      log(`teacher runtime: tfjs (auto: ${why})`);
      return tfjs;
    }
    // The thread count tfjs-node runs with (TF_NUM_INTRAOP_THREADS or every core); onnxruntime's own default is the physical cores.
    const native = currentBackend()?.tfEnv ? currentBackend()!.threads ?? undefined : undefined;
    const onnx = await OnnxEncoder.open(file, opts.threads ?? native);
    log(`teacher runtime: onnx (${runtime === 'auto' ? 'auto: the teacher exports to ONNX, and onnxruntime-node encodes faster than tfjs' : 'teacher.runtime: onnx'}; graph ${file})`);
    const encode: TeacherEncode = async (sentences, o) => {
      const r = await onnx.encodeWithStats(model.tokenizer, sentences, model.maxSeqLength, o.batchSize ?? 32, o);
      model.stats.sentencesEncoded += sentences.length;
      return r;
    };
    return { name: 'onnx', encode, onnx };
  };
  return {
    encode: async (sentences, o) => {
      opened ??= open();
      const r = await opened;
      name = r.name;
      return r.encode(sentences, o);
    },
    chosen: () => name,
    release: async () => {
      const r = await opened?.catch(() => undefined);
      opened = undefined;
      await r?.onnx?.release();
    },
  };
}
