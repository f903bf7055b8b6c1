import { percentile } from '@cam/protocol';

/** What a consumer reports each interval. */
export interface StreamReport {
  /** Frames per second over the interval. */
  fps: number;
  /** Access-unit payload in Mbit/s over the interval. */
  mbps: number;
  /** Capture → received, ms (wall clock; same machine). */
  latencyMs: { p50: number; max: number };
  /** Places where frames were missed, and how many frames were missed in total. */
  gaps: number;
  lost: number;
  /** Frames overwritten while being copied (discarded, never used). */
  overwritten: number;
  keyframes: number;
  frames: number;
}

/** Accumulates frames between reports. Bounded: it keeps one number per frame of one interval. */
export class StreamStats {
  #frames = 0;
  #bytes = 0;
  #gaps = 0;
  #lost = 0;
  #overwritten = 0;
  #keyframes = 0;
  #latencies: number[] = [];
  #since: number;

  constructor(now: number = Date.now()) {
    this.#since = now;
  }

  frame(bytes: number, keyframe: boolean, lost: number, latencyMs: number): void {
    this.#frames++;
    this.#bytes += bytes;
    if (keyframe) this.#keyframes++;
    if (lost > 0) {
      this.#gaps++;
      this.#lost += lost;
    }
    this.#latencies.push(latencyMs);
  }

  overwritten(): void {
    this.#overwritten++;
  }

  /** The report since the last one; starts a new interval. */
  report(now: number = Date.now()): StreamReport {
    const seconds = Math.max(now - this.#since, 1) / 1000;
    const sorted = this.#latencies.sort((a, b) => a - b);
    const report: StreamReport = {
      fps: this.#frames / seconds,
      mbps: (this.#bytes * 8) / seconds / 1e6,
      latencyMs: { p50: percentile(sorted, 50) ?? 0, max: sorted.at(-1) ?? 0 },
      gaps: this.#gaps,
      lost: this.#lost,
      overwritten: this.#overwritten,
      keyframes: this.#keyframes,
      frames: this.#frames,
    };
    this.#frames = this.#bytes = this.#gaps = this.#lost = this.#overwritten = this.#keyframes = 0;
    this.#latencies = [];
    this.#since = now;
    return report;
  }
}

export function formatReport(r: StreamReport): string {
  return (
    `fps=${r.fps.toFixed(1)} bitrate=${r.mbps.toFixed(2)}Mbit/s ` +
    `latency_ms(p50/max)=${r.latencyMs.p50}/${r.latencyMs.max} gaps=${r.gaps} lost=${r.lost} ` +
    `overwritten=${r.overwritten} keyframes=${r.keyframes}`
  );
}
