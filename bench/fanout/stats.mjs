// Percentiles and compact distributions for the fan-out, viewer, shm and encoder benchmarks.
// The percentile is @cam/protocol's (built: `pnpm bench` builds first), the one every report uses.
import { percentile as nearestRank } from '../../packages/protocol/dist/index.js';

/** Nearest-rank percentile of an ascending array (p in 0..100); null when empty. */
export function percentile(sorted, p) {
  return nearestRank(sorted, p) ?? null;
}

/** count, p50, p99 and max of samples (any order). */
export function summarize(samples) {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : null,
  };
}

/**
 * Every sample kept, rounded to `step` (to 10 × step from 1000 steps up): [[value, count], ...]
 * ascending. 10⁵ latencies become a few hundred pairs, the distribution intact at that step.
 */
export function histogram(samples, step) {
  const counts = new Map();
  for (const x of samples) {
    const unit = x < 1000 * step ? step : 10 * step;
    const key = Math.round(x / unit) * unit;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => a[0] - b[0]);
}

/** Median of samples (any order): the mean of the middle two for an even count; null if none. */
export function median(samples) {
  if (samples.length === 0) return null;
  const sorted = Float64Array.from(samples).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
