// The one percentile every camstream report uses (the player's overlay, the camera's encode
// times, the consumer example, the tests' and benchmarks' latency figures), so their p50s and
// p99s mean the same thing.

/**
 * Nearest-rank percentile: the smallest sample with at least p % of the samples at or below it.
 * `sorted` must be ascending; `p` is 0..100 (0 gives the smallest). Undefined when empty.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))];
}
