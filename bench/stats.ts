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
  return { median: round(median), min: round(min), max: round(max), spread: median === 0 ? 0 : round((max - min) / median, 3), samples: samples.map((s) => round(s)) };
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/**
 * Least-squares fit of time = a + b·N, and the largest relative gap between the fit and a
 * point: a quadratic step in N shows as a large residual at the largest N.
 */
export function fitLinear(points: { n: number; ms: number }[]): { intercept: number; slope: number; worstResidual: number } {
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

/**
 * Least-squares fit of time = a + b·N + c·N² (normal equations, Cramer's rule). A step that
 * is quadratic in the number of rules or routes shows as c·N² being a real part of T(N).
 */
export function fitQuadratic(points: { n: number; ms: number }[]): { a: number; b: number; c: number } {
  const s = (k: number) => points.reduce((sum, p) => sum + p.n ** k, 0);
  const t = (k: number) => points.reduce((sum, p) => sum + p.ms * p.n ** k, 0);
  const m = [
    [points.length, s(1), s(2)],
    [s(1), s(2), s(3)],
    [s(2), s(3), s(4)],
  ];
  const v = [t(0), t(1), t(2)];
  const det = (x: number[][]) =>
    x[0]![0]! * (x[1]![1]! * x[2]![2]! - x[1]![2]! * x[2]![1]!) -
    x[0]![1]! * (x[1]![0]! * x[2]![2]! - x[1]![2]! * x[2]![0]!) +
    x[0]![2]! * (x[1]![0]! * x[2]![1]! - x[1]![1]! * x[2]![0]!);
  const d = det(m);
  const withColumn = (col: number) => m.map((row, i) => row.map((value, j) => (j === col ? v[i]! : value)));
  return { a: det(withColumn(0)) / d, b: det(withColumn(1)) / d, c: det(withColumn(2)) / d };
}
