import { DistillError } from '../util/errors';

/**
 * Teacher layers a student keeps. A count picks them uniformly, centred in
 * each stride: 12->4 keeps [1, 4, 7, 10], 6->3 keeps [1, 3, 5], 12->3 [2, 6, 10].
 * A list is used as given, after checking it fits the teacher.
 */
export function chooseLayers(spec: number | number[], teacherLayers: number, where = 'student.layers'): number[] {
  if (Array.isArray(spec)) {
    const bad = spec.filter((l) => !Number.isInteger(l) || l < 0 || l >= teacherLayers);
    if (bad.length) throw new DistillError(`layer ${bad[0]} does not exist: the teacher has layers 0..${teacherLayers - 1}`, where);
    if (new Set(spec).size !== spec.length) throw new DistillError(`layers ${JSON.stringify(spec)} repeat a layer`, where);
    if (spec.some((l, i) => i > 0 && l < spec[i - 1])) throw new DistillError(`layers ${JSON.stringify(spec)} must be in increasing order`, where);
    return [...spec];
  }
  if (spec < 1 || spec > teacherLayers) throw new DistillError(`cannot keep ${spec} layers of a ${teacherLayers}-layer teacher; expected 1..${teacherLayers}`, where);
  const step = teacherLayers / spec;
  return Array.from({ length: spec }, (_, i) => Math.min(teacherLayers - 1, Math.round(i * step + (step - 1) / 2)));
}
