import { expect, it } from 'vitest';
import { backoffDelay } from './backoff';

it('doubles from the minimum and stops at the cap', () => {
  expect([0, 1, 2, 3].map((n) => backoffDelay(n, 250, 1500))).toEqual([250, 500, 1000, 1500]);
  expect(backoffDelay(40)).toBe(10_000);
});
