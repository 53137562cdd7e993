import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { writeReport } from '../../src/tracking/html_report';
import { tmpDir } from '../helpers/env';

// Chart colours of the first and second series (see html_report.ts).
const BLUE = [0x1f, 0x77, 0xb4];
const RED = [0xd6, 0x27, 0x28];
// The teacher's reference line on the dev Spearman chart.
const TEAL = [0x17, 0xbe, 0xcf];

function countColor(png: PNG, rgb: number[], x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < Math.min(y1, png.height); y++) {
    for (let x = x0; x < Math.min(x1, png.width); x++) {
      const i = (y * png.width + x) * 4;
      if (Math.abs(png.data[i] - rgb[0]) < 30 && Math.abs(png.data[i + 1] - rgb[1]) < 30 && Math.abs(png.data[i + 2] - rgb[2]) < 30) n++;
    }
  }
  return n;
}

test('the HTML report renders in headless Chromium with every plot drawn', () => {
  const dir = tmpDir();
  const entries: Record<string, number>[] = [];
  for (let step = 5; step <= 300; step += 5) {
    entries.push({ step, loss: 0.01 * Math.exp(-step / 100) + 1e-4, 'loss/mse': 0.008 * Math.exp(-step / 90) + 1e-4, 'loss/attention': 0.002 * Math.exp(-step / 60) + 5e-5, lr: step < 30 ? (1e-4 * step) / 30 : (1e-4 * (300 - step)) / 270, sentences_per_second: 50 + (step % 7) });
    if (step % 100 === 0) entries.push({ step, eval_spearman: 76 + step / 40 });
  }
  const file = path.join(dir, 'report.html');
  writeReport(file, 'screenshot run', entries, { steps: 300, student_spearman: 83.456789123456, teacher_spearman: 86.12345678901234, best_loss: 0.00012345678901 }, { teacherSpearman: 86.12345678901234 });
  const html = fs.readFileSync(file, 'utf8');
  // Spearman to 2 decimals, other numbers to 4 significant digits, integers as they are.
  for (const cell of ['<td>83.46</td>', '<td>86.12</td>', '<td>0.0001235</td>', '<td>300</td>']) assert.ok(html.includes(cell), `${cell} in the summary table`);
  assert.match(html, /<line class="reference" data-name="teacher" data-value="86.12"[^>]*stroke-dasharray/);
  assert.equal((html.match(/<figure class="chart"/g) ?? []).length, 4);
  assert.ok(!/data-points="0"/.test(html), 'every chart has points');
  const shot = path.join(dir, 'shot.png');
  execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, 'profile')}`,
    '--hide-scrollbars', '--window-size=1200,1000', `--screenshot=${shot}`, `file://${file}`], { stdio: 'ignore', timeout: 60_000 });
  const png = PNG.sync.read(fs.readFileSync(shot));
  assert.equal(png.width, 1200);
  // Layout: two charts per row (560 px wide + borders), starting below the title.
  const cells = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([c, r]) => [24 + c * 580, 70 + r * 280, 24 + c * 580 + 562, 70 + r * 280 + 262]);
  const blue = cells.map(([x0, y0, x1, y1]) => countColor(png, BLUE, x0, y0, x1, y1));
  console.log(`# line pixels per chart: ${blue.join(', ')}`);
  blue.forEach((n, i) => assert.ok(n > 150, `chart ${i} has ${n} line pixels`));
  assert.ok(countColor(png, RED, cells[0][0], cells[0][1], cells[0][2], cells[0][3]) > 150, 'second loss series drawn');
  const teal = countColor(png, TEAL, cells[2][0], cells[2][1], cells[2][2], cells[2][3]);
  assert.ok(teal > 150, `teacher reference line drawn on the dev Spearman chart (${teal} pixels)`);
  assert.equal(countColor(png, TEAL, cells[3][0], cells[3][1], cells[3][2], cells[3][3]), 0, 'and on no other chart');
  // An empty report draws no lines at all: the check above would catch missing plots.
  const empty = path.join(dir, 'empty.html');
  writeReport(empty, 'empty', [], null);
  const shot2 = path.join(dir, 'empty.png');
  execFileSync('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, 'profile2')}`, '--window-size=1200,1000', `--screenshot=${shot2}`, `file://${empty}`], { stdio: 'ignore', timeout: 60_000 });
  const png2 = PNG.sync.read(fs.readFileSync(shot2));
  assert.equal(countColor(png2, BLUE, 0, 0, 1200, 1000), 0);
});
