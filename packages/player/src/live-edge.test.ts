import { expect, it } from 'vitest';
import { FramesInFlight, MAX_WAIT_MS, SETTLE_WAIT_MS } from './live-edge';

it('counts a frame overtaken by a newer one shown as dropped', () => {
  const f = new FramesInFlight();
  for (const capture of [100, 133, 166, 200]) f.add(capture, capture + 10);
  expect(f.shown(100)).toBe(true);
  expect(f.shown(166)).toBe(true); // 133 was never shown
  expect([f.size, f.dropped]).toEqual([1, 1]);
});

it('is behind when the oldest waiting frame has waited longer than the bound', () => {
  const f = new FramesInFlight();
  expect(f.behind(1e9)).toBe(false); // nothing waits
  f.add(0, 1000);
  f.add(33, 1033);
  expect(f.behind(1000 + MAX_WAIT_MS)).toBe(false);
  expect(f.behind(1001 + MAX_WAIT_MS)).toBe(true);
  f.shown(0);
  expect(f.behind(1001 + MAX_WAIT_MS)).toBe(false); // the next one arrived 33 ms later
  // A decoder that has shown nothing since it started gets longer.
  expect(f.behind(1034 + MAX_WAIT_MS, true)).toBe(false);
  expect(f.behind(1034 + SETTLE_WAIT_MS, true)).toBe(true);
});

it('counts a flush as dropped, and a frame shown after it as not in flight', () => {
  const f = new FramesInFlight();
  for (const capture of [1, 2, 3]) f.add(capture, 0);
  f.clear();
  expect([f.size, f.dropped]).toEqual([0, 3]);
  expect(f.shown(2)).toBe(false);
  expect(f.dropped).toBe(3);
});

it('stays bounded when nothing is ever shown', () => {
  const f = new FramesInFlight();
  for (let i = 0; i < 1000; i++) f.add(i, i);
  expect([f.size, f.dropped]).toEqual([300, 700]);
});
