/**
 * Summaries of repeated timings: median and spread. Pure.
 */
export interface Summary {
  /** Milliseconds. */
  median: number;
  min: number;
  max: number;
  /** (max - min) / median, so lines of different size compare. */
  spread: number;
  samples: number[];
}

export function summarise(samples: number[]): Summary {
  if (samples.length === 0) throw new Error('summarise: no samples');
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    median: round(median),
    min: round(min),
    max: round(max),
    spread: median === 0 ? 0 : round((max - min) / median, 3),
    samples: samples.map((s) => round(s)),
  };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Least-squares fit of time = a + b·N, and the largest relative gap between the fit and a
 * point: a quadratic step in N shows as a large residual at the largest N.
 */
export function fitLinear(points: { n: number; ms: number }[]): {
  intercept: number;
  slope: number;
  worstResidual: number;
} {
  const count = points.length;
  const meanN = points.reduce((s, p) => s + p.n, 0) / count;
  const meanMs = points.reduce((s, p) => s + p.ms, 0) / count;
  const sxx = points.reduce((s, p) => s + (p.n - meanN) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.n - meanN) * (p.ms - meanMs), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = meanMs - slope * meanN;
  const worstResidual = Math.max(0, ...points.map((p) => Math.abs(p.ms - (intercept + slope * p.n)) / p.ms));
  return { intercept: round(intercept, 2), slope: round(slope, 3), worstResidual: round(worstResidual, 3) };
}
