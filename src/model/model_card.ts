import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import { SentenceModel } from './sentence_model';

/** The card's file name: the Hub and sentence-transformers show a folder's README.md as its model card. */
export const MODEL_CARD_FILE = 'README.md';

/** Where the card keeps the data it was rendered from, so an export can re-render it for its own format. */
const DATA_MARK = 'distill-model-card';

/** Everything a card says, as plain data (no run objects): filled by the run, an export adds `onnx`. */
export interface ModelCardData {
  teacher: { model: string; hub?: { repo: string; revision: string; commit: string } } | null;
  student: StudentShape;
  losses: Array<{ name: string; weight: number; options: Record<string, unknown> }>;
  data: { train: string; rows: number; dev: string | null } | null;
  /** The run's evaluations, one per eval step: `step` and each evaluator's value by name. */
  evals: Array<Record<string, number>>;
  best: { step: number; metric: string; value: number } | null;
  /** The teacher's value of the dev metric, when it means something (Spearman; not MSE to itself). */
  teacherScore: { metric: string; value: number } | null;
  /** Set by an ONNX export: the graph's files, inputs and outputs. */
  onnx?: { files: string[]; inputs: string[]; outputs: string[] };
}

export interface StudentShape {
  layers: number;
  hiddenSize: number;
  embeddingDim: number;
  pooling: string[];
  dense: number;
  normalize: boolean;
  maxSeqLength: number;
  /** Teacher layers the student's layers were copied from (null: a fresh or loaded student). */
  keptLayers: number[] | null;
}

export function studentShape(m: SentenceModel, keptLayers: number[] | null): StudentShape {
  const width = m.dense.length ? m.dense[m.dense.length - 1].outFeatures : m.pooling.dimension * m.pooling.modes.length;
  return {
    layers: m.config.numHiddenLayers, hiddenSize: m.config.hiddenSize, embeddingDim: width, pooling: m.pooling.modes,
    dense: m.dense.length, normalize: m.normalize, maxSeqLength: m.maxSeqLength, keptLayers,
  };
}

/** Spearman is reported x100: two decimals; anything else (MSE, losses) to 4 significant digits. */
export function formatMetric(name: string, v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return /spearman/i.test(name) ? v.toFixed(2) : Number(v.toPrecision(4)).toString();
}

function frontMatter(d: ModelCardData): string {
  const tags = ['sentence-transformers', 'sentence-similarity', 'feature-extraction', 'knowledge-distillation', ...(d.onnx ? ['onnx'] : [])];
  const meta: Record<string, unknown> = { library_name: 'sentence-transformers', pipeline_tag: 'sentence-similarity', tags };
  if (d.teacher?.hub) meta.base_model = d.teacher.hub.repo;
  return `---\n${stringify(meta)}---\n`;
}

function teacherLine(t: ModelCardData['teacher']): string {
  if (!t) return 'an unknown teacher';
  if (!t.hub) return `\`${t.model}\``;
  return `[\`${t.hub.repo}\`](https://huggingface.co/${t.hub.repo}) (revision \`${t.hub.revision}\`, commit \`${t.hub.commit}\`)`;
}

function details(d: ModelCardData): string {
  const s = d.student;
  const rows: Array<[string, string]> = [
    ['Teacher', teacherLine(d.teacher)],
    ['Student', `${s.layers} layers, hidden size ${s.hiddenSize}`],
    ['Kept teacher layers', s.keptLayers ? s.keptLayers.join(', ') : 'none (student not initialised from teacher layers)'],
    ['Output', `${s.embeddingDim}-dimensional, ${s.pooling.join('+')} pooling${s.dense ? `, ${s.dense} Dense module(s)` : ''}${s.normalize ? ', L2-normalised' : ''}`],
    ['Max sequence length', String(s.maxSeqLength)],
    ['Format', d.onnx ? `ONNX (${d.onnx.files.map((f) => `\`${f}\``).join(', ')})` : 'safetensors (PyTorch / TensorFlow.js)'],
  ];
  return `## Model details\n\n| | |\n|---|---|\n${rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n')}\n`;
}

function training(d: ModelCardData): string {
  const losses = d.losses.length
    ? d.losses.map((l) => `- \`${l.name}\` (weight ${l.weight})${Object.keys(l.options).length ? `, options \`${JSON.stringify(l.options)}\`` : ''}`).join('\n')
    : '- not recorded';
  const data = d.data ? `- train: \`${d.data.train}\`, ${d.data.rows} rows\n- dev: ${d.data.dev ? `\`${d.data.dev}\`` : 'none'}` : '- not recorded';
  return `## Training\n\nLosses:\n\n${losses}\n\nData:\n\n${data}\n`;
}

function evaluation(d: ModelCardData): string {
  if (!d.evals.length) return '## Evaluation\n\nNo evaluation was recorded.\n';
  const names = [...new Set(d.evals.flatMap((e) => Object.keys(e).filter((k) => k !== 'step')))];
  const rows = d.evals.map((e) => `| ${e.step} | ${names.map((n) => (e[n] === undefined ? '' : formatMetric(n, e[n]))).join(' | ')} |`);
  if (d.teacherScore) rows.push(`| teacher | ${names.map((n) => (n === d.teacherScore!.metric ? formatMetric(n, d.teacherScore!.value) : '')).join(' | ')} |`);
  const best = d.best ? `\nBest ${d.best.metric}: ${formatMetric(d.best.metric, d.best.value)} at step ${d.best.step}.\n` : '';
  return `## Evaluation\n\n| step | ${names.join(' | ')} |\n|---|${names.map(() => '---|').join('')}\n${rows.join('\n')}\n${best}`;
}

function usage(d: ModelCardData): string {
  const s = d.student;
  // With two ONNX files sentence-transformers warns and takes model.onnx; file_name picks the int8 one.
  const int8 = d.onnx?.files.find((f) => f.endsWith('_quantized.onnx'));
  const int8Line = int8 ? `\n# int8 weights:\nmodel_int8 = SentenceTransformer("path/to/this/folder", backend="onnx", model_kwargs={"file_name": "${int8}"})` : '';
  const install = d.onnx ? 'The ONNX backend needs `pip install "sentence-transformers[onnx]"` (optimum-onnx and onnxruntime).\n\n' : '';
  const st = `### sentence-transformers\n\n${install}\`\`\`python\nfrom sentence_transformers import SentenceTransformer\n\nmodel = SentenceTransformer("path/to/this/folder"${d.onnx ? ', backend="onnx"' : ''})\nembeddings = model.encode(["The weather is lovely today.", "It is sunny outside."])${int8Line}\n\`\`\`\n`;
  if (!d.onnx) {
    return `## Usage\n\n${st}\nFor transformers.js and onnxruntime, export it first: \`distill export --model path/to/this/folder --out onnx-model --format onnx\`; the exported folder's card shows how to load it there.\n`;
  }
  const simplePool = !s.dense && s.pooling.length === 1 && ['mean', 'cls'].includes(s.pooling[0]);
  const js = simplePool
    ? `const out = await extractor(['The weather is lovely today.'], { pooling: '${s.pooling[0]}', normalize: ${s.normalize} });`
    : `// This model's head (${s.pooling.join('+')} pooling${s.dense ? ', Dense' : ''}) is not one of the pipeline's poolings: read the ONNX output sentence_embedding with onnxruntime instead.`;
  const tjs = `### transformers.js\n\n\`\`\`js\nimport { pipeline } from '@huggingface/transformers';\n\nconst extractor = await pipeline('feature-extraction', 'path/to/this/folder');\n${js}\n\`\`\`\n`;
  const ort = `### onnxruntime\n\nInputs (int64, shape [batch, sequence]): ${d.onnx.inputs.map((n) => `\`${n}\``).join(', ')}.\nOutputs: ${d.onnx.outputs.map((n) => `\`${n}\``).join(', ')}; \`sentence_embedding\` [batch, ${s.embeddingDim}] is the finished sentence vector (pooling${s.dense ? ', Dense' : ''}${s.normalize ? ', normalisation' : ''} included).\n\n\`\`\`python\nimport onnxruntime as ort\nfrom transformers import AutoTokenizer\n\ntok = AutoTokenizer.from_pretrained("path/to/this/folder")\nsess = ort.InferenceSession("path/to/this/folder/${d.onnx.files[0]}")\nenc = tok(["The weather is lovely today."], padding=True, truncation=True, max_length=${s.maxSeqLength}, return_tensors="np")\nemb = sess.run(["sentence_embedding"], {k: enc[k].astype("int64") for k in (${d.onnx.inputs.map((n) => `"${n}"`).join(', ')})})[0]\n\`\`\`\n`;
  return `## Usage\n\n${st}\n${tjs}\n${ort}`;
}

/** README.md in the spirit of sentence-transformers' generated cards: YAML front matter, then prose. */
export function renderModelCard(d: ModelCardData): string {
  const s = d.student;
  const intro = `# Distilled sentence encoder\n\nA [sentence-transformers](https://www.sbert.net) model distilled from ${teacherLine(d.teacher)} into a ${s.layers}-layer student. It maps sentences to a ${s.embeddingDim}-dimensional dense vector space for semantic similarity, search and clustering.\n`;
  const data = `<!-- ${DATA_MARK} ${JSON.stringify(d).replace(/--/g, '-\\u002d')} -->\n`;
  return [frontMatter(d), intro, details(d), training(d), evaluation(d), usage(d), data].join('\n');
}

/** A card for a folder that has none: what the model itself says (no teacher, losses or evaluations). */
export function minimalCardData(m: SentenceModel): ModelCardData {
  return { teacher: null, student: studentShape(m, null), losses: [], data: null, evals: [], best: null, teacherScore: null };
}

/** The data a card of ours was rendered from; null for a folder without a card or with someone else's. */
export function readModelCardData(dir: string): ModelCardData | null {
  const file = path.join(dir, MODEL_CARD_FILE);
  if (!fs.existsSync(file)) return null;
  const m = new RegExp(`<!-- ${DATA_MARK} (.*) -->`).exec(fs.readFileSync(file, 'utf8'));
  if (!m) return null;
  try {
    return JSON.parse(m[1]) as ModelCardData;
  } catch {
    return null;
  }
}
