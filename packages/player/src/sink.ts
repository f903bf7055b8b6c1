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
  /** The decoder failed on the stream; the player replaces it (the other kind, once). */
  failed(message: string): void;
}

export interface Sink {
  /** false: the frame was not taken (decoder not ready or full); the player waits for a keyframe. */
  push(frame: Frame): boolean;
  /** Drops every frame queued and not yet shown: the next frame pushed is a keyframe, shown next. */
  flush(): void;
  /** Seconds of media held by MSE (jmuxer), null for WebCodecs. */
  bufferedSeconds(): number | null;
  close(): void;
}

/** Wall-clock ms from a performance.now()-domain timestamp. */
export function wallClock(perfMs: number): number {
  return performance.timeOrigin + perfMs;
}
