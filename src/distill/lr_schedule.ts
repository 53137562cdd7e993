/**
 * Linear warmup then linear decay to zero, as transformers'
 * get_linear_schedule_with_warmup: the LR used at optimizer step `step` (0-based).
 */
export function warmupLinear(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
  return peak * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}
