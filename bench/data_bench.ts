/**
 * bench:data - rows/s read for each format on the large unlabeled sentence
 * file (pyarrow reading the same files as the reference), peak memory while
 * streaming, and the padding fraction of bucketed vs unbucketed batching.
 * Each format is read in a child process so its peak RSS is its own.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readDataset, newStats } from '../src/data/read_dataset';
import { planBatches, paddingFraction } from '../src/data/length_batches';
import { loadTokenizer } from '../src/tokenizer/load_tokenizer';
import { Rng } from '../src/util/rng';

const ROOT = path.resolve(__dirname, '..', '..');

async function child(file: string) {
  const stats = newStats();
  const t0 = performance.now();
  let chars = 0;
  for await (const r of readDataset({ path: file, kind: 'sentences', columns: { text: 'sentence' }, dedupe: false }, stats)) chars += (r as { text: string }).text.length;
  const s = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ rows: stats.records, seconds: s, chars, peakRssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main() {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const shared = path.join(ROOT, '..', 'shared', 'data', 'unlabeled', 'en_sentences.tsv');
  const input = process.argv[2] ?? (fs.existsSync(shared) ? shared : path.join(ROOT, 'data', 'en', 'train-sentences.tsv'));
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-data-')), 'data');
  const ref = JSON.parse(execFileSync(path.join(ROOT, '.venv', 'bin', 'python'), [path.join(ROOT, 'py', 'convert_table.py'), '--input', input, '--out', prefix, '--row-group-size', '10000', '--bench'], { encoding: 'utf8' }).trim().split('\n').pop()!);
  const fileMb = fs.statSync(input).size / 1e6;
  console.log(`read ${ref.rows} sentences (${path.basename(input)}, ${fileMb.toFixed(1)} MB as TSV); pyarrow reads the same files whole as the reference`);
  console.log('format   ours rows/s   pyarrow rows/s   ratio   peak RSS (ours, streaming)');
  const results: Record<string, unknown> = {};
  for (const [fmt, file] of [['tsv', input], ['csv', prefix + '.csv'], ['jsonl', prefix + '.jsonl'], ['arrow', prefix + '.arrow'], ['parquet', prefix + '.parquet']]) {
    const r = JSON.parse(execFileSync('node', [__filename, '--child', file], { encoding: 'utf8' }).trim());
    const ours = r.rows / r.seconds;
    const theirs = ref.pyarrow_rows_per_second[fmt];
    results[fmt] = { rows_per_second: Math.round(ours), pyarrow_rows_per_second: Math.round(theirs), ratio: +(ours / theirs).toFixed(3), peak_rss_mb: Math.round(r.peakRssMb) };
    console.log(`${fmt.padEnd(8)} ${String(Math.round(ours)).padStart(11)}   ${String(Math.round(theirs)).padStart(14)}   ${(ours / theirs).toFixed(2).padStart(5)}   ${Math.round(r.peakRssMb)} MB`);
  }
  const tok = loadTokenizer(path.join(ROOT, '.cache', 'models', 'all-MiniLM-L6-v2'));
  const sentences: string[] = [];
  for await (const r of readDataset({ path: input, kind: 'sentences', columns: { text: 'sentence' }, limit: 50000 })) sentences.push((r as { text: string }).text);
  const lengths = sentences.map((s) => Math.min(256, tok.encode(s).ids.length));
  const pb = paddingFraction(lengths, planBatches(lengths, 32, new Rng(1), true));
  const pu = paddingFraction(lengths, planBatches(lengths, 32, new Rng(1), false));
  console.log(`padding fraction, batch 32, ${lengths.length} sentences: bucketed ${(100 * pb).toFixed(1)}%, unbucketed ${(100 * pu).toFixed(1)}%`);
  console.log(JSON.stringify({ benchmark: 'data', rows: ref.rows, formats: results, padding: { bucketed: pb, unbucketed: pu } }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
