import { describe, expect, it } from 'vitest';
import { LatencyWindow, RateMeter } from './stats';

describe('LatencyWindow', () => {
  it('is empty before the first sample', () => {
    expect(new LatencyWindow().summary()).toEqual({ last: null, p50: null, p95: null, count: 0 });
  });

  it('gives nearest-rank percentiles and the last sample', () => {
    const w = new LatencyWindow(100);
    for (let i = 100; i >= 1; i--) w.add(i);
    expect(w.summary()).toEqual({ last: 1, p50: 50, p95: 95, count: 100 });
  });

  it('forgets samples beyond its size', () => {
    const w = new LatencyWindow(3);
    for (const ms of [1000, 1000, 1000, 10, 20, 30]) w.add(ms);
    expect(w.summary()).toEqual({ last: 30, p50: 20, p95: 30, count: 3 });
  });
});

describe('RateMeter', () => {
  it('sums amounts inside the window, per second', () => {
    const m = new RateMeter(2000);
    m.add(0, 100);
    m.add(1500, 300);
    expect(m.rate(1500)).toBe(200);
    // at 2500 the first sample (t=0) has left the 2 s window
    expect(m.rate(2500)).toBe(150);
    expect(m.rate(10_000)).toBe(0);
  });

  it('keeps at most maxEvents even if never read', () => {
    const m = new RateMeter(1000, 10);
    for (let i = 0; i < 50; i++) m.add(500);
    expect(m.rate(500)).toBe(10);
  });
});
