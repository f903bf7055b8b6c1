// Small bounded meters behind PlayerStats. Each keeps a fixed number of samples, so a player
// left open for days uses the same memory as one opened a second ago.
import { percentile } from '@cam/protocol';

export interface LatencySummary {
  /** The most recent sample, or null before the first. */
  last: number | null;
  p50: number | null;
  p95: number | null;
  /** Samples in the window the percentiles cover (at most the window size). */
  count: number;
}

/** Percentiles over the last `size` samples (nearest-rank). */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  constructor(private readonly size = 300) {}

  add(ms: number): void {
    if (this.samples.length < this.size) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % this.size;
  }

  summary(): LatencySummary {
    const n = this.samples.length;
    if (n === 0) return { last: null, p50: null, p95: null, count: 0 };
    const sorted = [...this.samples].sort((a, b) => a - b);
    const rank = (p: number) => percentile(sorted, p) ?? null;
    const last = this.samples[(this.next - 1 + this.size) % this.size] ?? null;
    return { last, p50: rank(50), p95: rank(95), count: n };
  }
}

/** Sum of amounts seen in the last `windowMs` (frames per second, bytes per second). */
export class RateMeter {
  private readonly times: number[] = [];
  private readonly amounts: number[] = [];

  constructor(
    private readonly windowMs = 1000,
    private readonly maxEvents = 1000,
  ) {}

  add(nowMs: number, amount = 1): void {
    this.times.push(nowMs);
    this.amounts.push(amount);
    // Bounded even if `rate` is never read: beyond maxEvents the oldest are forgotten.
    if (this.times.length > this.maxEvents) this.drop(1);
  }

  /** Amount per second over the window ending at `nowMs`. */
  rate(nowMs: number): number {
    let stale = 0;
    while (stale < this.times.length && (this.times[stale] ?? 0) <= nowMs - this.windowMs) stale++;
    this.drop(stale);
    const total = this.amounts.reduce((a, b) => a + b, 0);
    return (total * 1000) / this.windowMs;
  }

  private drop(n: number): void {
    this.times.splice(0, n);
    this.amounts.splice(0, n);
  }
}
