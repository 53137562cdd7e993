import * as fs from 'fs';
import * as path from 'path';
import { loadSentenceModel, saveSentenceModel, disposeSentenceModel, SentenceModel } from '../model/sentence_model';
import { resolveModel } from '../hub/resolve_model';
import { encodeSentences } from '../model/sentence_encoder';
import { DistillError } from '../util/errors';
import { buildBertOnnx, onnxInputs, ONNX_OUTPUTS, SUPPORTED_OPSETS } from './bert_onnx';
import { minimalCardData, MODEL_CARD_FILE, readModelCardData, renderModelCard } from '../model/model_card';
import { OnnxEncoder } from './onnx_encoder';
import { VERIFY_SENTENCES } from './verify_sentences';
import { rowCosines } from '../eval/cosine';
import { writeDirAtomicAsync, writeFileChecked } from '../util/atomic_write';
import { whileWritingAsync } from '../util/while_writing';
import { describeLeftovers, removeLeftoverTemps } from '../util/leftover_temps';
import { readableSync } from '../backend/webgpu_backend';

export const EXPORT_FORMATS = ['onnx', 'sentence-transformers'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  model: string;
  out: string;
  format: ExportFormat;
  opset?: number;
  quantize?: 'int8';
  verify?: boolean;
  /** Sentences to verify on (default: a built-in mixed-length set). */
  verifySentences?: string[];
  force?: boolean;
  /** fp32 ONNX vs TensorFlow.js: max abs difference allowed on sentence_embedding. */
  tolerance?: number;
  /** int8 vs fp32: minimum mean cosine allowed. */
  minInt8Cosine?: number;
}

export interface ExportReport {
  out: string;
  format: ExportFormat;
  files: Record<string, number>;
  opset?: number;
  verify?: { sentences: number; maxAbsDiff: number; tolerance: number };
  int8?: { sizeRatio: number; meanCosine: number; minCosine: number; maxAbsDiff: number };
  /** Temporaries of interrupted exports (dead writers) removed from the output's parent folder, one line per writer. */
  removedLeftovers?: string[];
}

function maxAbs(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/**
 * `distill export`: everything is written into a temporary folder next to
 * `out`, verified there, and only then swapped into place
 * (util/atomic_write), so a failed write or a failed verification leaves no
 * partial export behind. OS errors (ENOSPC...) propagate naming the file.
 */
export async function exportModel(o: ExportOptions): Promise<ExportReport> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(o.format)) throw new DistillError(`unknown format "${o.format}"; valid: ${EXPORT_FORMATS.join(', ')}`, '--format');
  const opset = o.opset ?? 17;
  if (o.format === 'onnx' && !SUPPORTED_OPSETS.includes(opset)) throw new DistillError(`unsupported opset ${opset}; supported: ${SUPPORTED_OPSETS.join(', ')}`, '--opset');
  if (o.quantize && o.format !== 'onnx') throw new DistillError('--quantize int8 applies to --format onnx', '--quantize');
  if (fs.existsSync(o.out) && !o.force) throw new DistillError('output folder exists; pass --force to replace it', o.out);
  const removedLeftovers = describeLeftovers(removeLeftoverTemps(path.dirname(path.resolve(o.out))));
  const model = loadSentenceModel((await resolveModel(o.model, { where: '--model' })).dir);
  try {
    const report = await whileWritingAsync(`${o.format} export`, () => writeDirAtomicAsync(o.out, (tmp) => writeExport(model, tmp, o, opset)));
    return { ...report, out: o.out, ...(removedLeftovers.length ? { removedLeftovers } : {}) };
  } finally {
    disposeSentenceModel(model);
  }
}

async function writeExport(model: SentenceModel, dir: string, o: ExportOptions, opset: number): Promise<ExportReport> {
  // Both formats carry the sentence-transformers folder: config, tokenizer, modules, pooling.
  // Saving and the ONNX graph read weights synchronously: on webgpu each needs an async read just before.
  await readableSync(model.weights.values());
  saveSentenceModel(model, dir);
  const report: ExportReport = { out: dir, format: o.format, files: {} };
  if (o.format === 'onnx') {
    fs.rmSync(path.join(dir, 'model.safetensors'));
    fs.mkdirSync(path.join(dir, 'onnx'));
    const fp32 = path.join(dir, 'onnx', 'model.onnx');
    writeFileChecked(fp32, buildBertOnnx(model, { opset }).bytes);
    report.opset = opset;
    const sentences = o.verifySentences ?? VERIFY_SENTENCES;
    const needRef = o.verify || o.quantize;
    const ref = needRef ? (await encodeSentences(model, sentences, { batchSize: 8 })).embeddings : undefined;
    let fpOut: Float32Array | undefined;
    if (needRef) {
      const enc = await OnnxEncoder.open(fp32);
      fpOut = await enc.encode(model.tokenizer, sentences, model.maxSeqLength, 8);
      await enc.release();
    }
    if (o.verify) {
      const tol = o.tolerance ?? 1e-4;
      const d = maxAbs(fpOut!, ref!);
      report.verify = { sentences: sentences.length, maxAbsDiff: d, tolerance: tol };
      if (!(d <= tol)) throw new DistillError(`verification failed: onnxruntime vs TensorFlow.js sentence_embedding max abs difference ${d.toExponential(3)} > ${tol}; export discarded`, o.out);
    }
    if (o.quantize === 'int8') {
      const q = path.join(dir, 'onnx', 'model_quantized.onnx');
      await readableSync(model.weights.values());
      writeFileChecked(q, buildBertOnnx(model, { opset, quantize: 'int8' }).bytes);
      const enc = await OnnxEncoder.open(q);
      const qOut = await enc.encode(model.tokenizer, sentences, model.maxSeqLength, 8);
      await enc.release();
      const dim = qOut.length / sentences.length;
      const cos = rowCosines(qOut, fpOut!, dim);
      report.int8 = {
        sizeRatio: fs.statSync(fp32).size / fs.statSync(q).size,
        meanCosine: cos.reduce((a, b) => a + b, 0) / cos.length,
        minCosine: Math.min(...cos),
        maxAbsDiff: maxAbs(qOut, fpOut!),
      };
      const min = o.minInt8Cosine ?? 0.99;
      if (o.verify && report.int8.meanCosine < min) {
        throw new DistillError(`verification failed: int8 embeddings drift from fp32 (mean cosine ${report.int8.meanCosine.toFixed(4)} < ${min}); export discarded`, o.out);
      }
    }
  }
  writeExportCard(model, dir, o.format === 'onnx' ? ['onnx/model.onnx', ...(o.quantize ? ['onnx/model_quantized.onnx'] : [])] : null);
  for (const f of listFiles(dir)) report.files[path.relative(dir, f)] = fs.statSync(f).size;
  return report;
}

/**
 * The source folder's card, re-rendered for this format (ONNX files, inputs,
 * outputs); a card someone else wrote is carried over unchanged; a folder
 * without one gets a minimal card of what the model itself says.
 */
function writeExportCard(model: SentenceModel, dir: string, onnxFiles: string[] | null): void {
  const source = path.join(model.dir, MODEL_CARD_FILE);
  const ours = readModelCardData(model.dir);
  if (!ours && fs.existsSync(source)) return void writeFileChecked(path.join(dir, MODEL_CARD_FILE), fs.readFileSync(source));
  const { onnx: _previous, ...card } = ours ?? minimalCardData(model);
  const onnx = onnxFiles ? { files: onnxFiles, inputs: onnxInputs(model.config), outputs: [...ONNX_OUTPUTS] } : undefined;
  writeFileChecked(path.join(dir, MODEL_CARD_FILE), renderModelCard({ ...card, ...(onnx ? { onnx } : {}) }));
}

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
