// What the player hands a decoder, and what a decoder reports back.

export interface Frame {
  /** One access unit, Annex B, trailer already removed. */
  data: Uint8Array;
  /** Capture time, ms since the Unix epoch (the message trailer). */
  captureMs: number;
  keyframe: boolean;
}

export interface SinkEvents {
  /** A frame became visible: its capture time and the wall-clock time it was shown. */
  shown(captureMs: number, shownMs: number, width: number, height: number): void;
  /** The decoder failed; the player waits for the next keyframe. */
  error(message: string): void;
}

export interface Sink {
  /** false: the frame was not taken (decoder busy or not ready); the player then waits for a keyframe. */
  push(frame: Frame): boolean;
  /** Counters that only the decoder knows. */
  extra(): { dropped: number; bufferedSeconds: number | null; liveEdgeJumps: number };
  close(): void;
}

/** Wall-clock ms from a performance.now()-domain timestamp. */
export function wallClock(perfMs: number): number {
  return performance.timeOrigin + perfMs;
}
