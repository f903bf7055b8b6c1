import { describe, expect, it } from 'vitest';
import { formatReport, StreamStats } from './stats';

describe('StreamStats', () => {
  it('reports fps, bitrate, latency, gaps and lost over one interval, then starts over', () => {
    const s = new StreamStats(0);
    s.frame(125_000, true, 0, 5);
    s.frame(125_000, false, 3, 1);
    s.frame(125_000, false, 0, 9);
    s.frame(125_000, false, 1, 3);
    s.overwritten();
    const r = s.report(2000);
    expect(r).toEqual({
      fps: 2,
      mbps: 2,
      latencyMs: { p50: 3, max: 9 },
      gaps: 2,
      lost: 4,
      overwritten: 1,
      keyframes: 1,
      frames: 4,
    });
    expect(formatReport(r)).toBe(
      'fps=2.0 bitrate=2.00Mbit/s latency_ms(p50/max)=3/9 gaps=2 lost=4 overwritten=1 keyframes=1',
    );
    expect(s.report(3000)).toMatchObject({
      fps: 0,
      frames: 0,
      gaps: 0,
      latencyMs: { p50: 0, max: 0 },
    });
  });
});
