import { expect, it } from 'vitest';
import { backoffDelay, LATE_MAX_MS } from './backoff';

it('retries within a second during the first minute of an outage, then every few seconds', () => {
  expect([0, 1, 2, 3, 10].map((n) => backoffDelay(n, 5_000))).toEqual([250, 500, 750, 750, 750]);
  expect(backoffDelay(10, 61_000)).toBe(LATE_MAX_MS);
  expect(backoffDelay(0, 61_000)).toBe(250);
});
