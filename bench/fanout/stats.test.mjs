// node --test bench/   (not part of `pnpm test`: bench helpers are checked on demand)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogram, median, percentile, summarize } from './stats.mjs';

test('percentile is nearest-rank over an ascending array', () => {
  const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(sorted, 50), 5);
  assert.equal(percentile(sorted, 99), 10);
  assert.equal(percentile(sorted, 0), 1);
  assert.equal(percentile([], 50), null);
});

test('summarize sorts numerically, not as strings', () => {
  assert.deepEqual(summarize([100, 9, 20, 3]), { count: 4, p50: 9, p99: 100, max: 100 });
  assert.deepEqual(summarize([]), { count: 0, p50: null, p99: null, max: null });
});

test('histogram keeps every sample, coarser from 1000 steps up', () => {
  const h = histogram([12, 14, 26, 10_040, 10_060], 10);
  assert.deepEqual(h, [
    [10, 2],
    [30, 1],
    [10_000, 1],
    [10_100, 1],
  ]);
  assert.equal(
    h.reduce((n, [, c]) => n + c, 0),
    5,
  );
});

test('median is the middle sample, or the mean of the middle two', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([10, 9]), 9.5);
  assert.equal(median([]), null);
});
