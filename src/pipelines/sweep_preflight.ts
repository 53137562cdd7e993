import * as fs from 'fs';
import * as path from 'path';
import { chooseLayers } from '../distill/layer_choice';
import { defaultArchitectures } from '../model/architecture_registry';
import { readJson } from '../model/read_json';
import { DistillError } from '../util/errors';
import type { SweepVariant } from './sweep_plan';

/**
 * What the config parser cannot know: whether each variant's student.layers
 * fit the model they are cut from. Checked from that model's config.json
 * when it is a local folder (a Hub id is checked when its run loads it), so
 * `student.layers=[1,3,7]` of a 6-layer teacher fails before the first run
 * trains, not after it.
 */
export function checkStudentLayers(variants: SweepVariant[]): void {
  const layersOf = new Map<string, number | null>();
  const archs = defaultArchitectures();
  for (const v of variants) {
    const s = v.config.student;
    if (s.hidden_size !== undefined) continue;
    const source = s.model ?? v.config.teacher.model;
    const file = path.join(source, 'config.json');
    if (!layersOf.has(source)) {
      let n: number | null = null;
      if (fs.existsSync(file)) {
        const raw = readJson(file);
        n = archs.forModelType(raw.model_type, file).parseConfig(raw, file).numHiddenLayers;
      }
      layersOf.set(source, n);
    }
    const n = layersOf.get(source);
    if (n === null || n === undefined) continue;
    try {
      chooseLayers(s.layers, n);
    } catch (e) {
      if (!(e instanceof DistillError)) throw e;
      throw new DistillError(`sweep variant ${v.id} (${Object.entries(v.values).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(' ')}): ${e.message} (${file})`, undefined, { cause: e });
    }
  }
}
