// The live-edge policy, one for every decoder: the picture on screen stays within LIVE_BOUND_MS
// of capture. A frame waits in the player (decoder queue, MSE buffer) at most MAX_WAIT_MS;
// when the oldest frame still waiting is older than that, the player is behind: it drops every
// frame not yet shown, waits for the next keyframe, and asks the server for one.

/** Capture → shown on a LAN: what the player promises (the policy's name in docs and stats). */
export const LIVE_BOUND_MS = 250;
/** Capture → arrival on a LAN (encoding, sending): what the bound leaves for the network. */
const NETWORK_ALLOWANCE_MS = 50;
/** The longest a frame may wait in the player, arrival → shown, before the player skips ahead. */
export const MAX_WAIT_MS = LIVE_BOUND_MS - NETWORK_ALLOWANCE_MS;
/**
 * The wait allowed before a decoder just (re)started shows its first frame: starting one takes
 * long in some browsers (Firefox starts a decoder process), and skipping during that start would
 * only start it again.
 */
export const SETTLE_WAIT_MS = 2000;
/** At most one keyframe request per this long (the server also coalesces everyone's). */
export const KEYFRAME_ASK_INTERVAL_MS = 1000;
// Frames tracked while waiting; past this the oldest are forgotten and counted as dropped.
const MAX_IN_FLIGHT = 300;

interface InFlight {
  captureMs: number;
  arrivedAt: number;
}

/**
 * Frames handed to the decoder and not yet shown, oldest first. Every frame handed over ends
 * as shown, or as dropped: overtaken by a newer frame shown (the decoder or the browser skipped
 * it), flushed when the player skips ahead, or forgotten past MAX_IN_FLIGHT.
 */
export class FramesInFlight {
  private readonly frames: InFlight[] = [];
  private droppedCount = 0;

  get dropped(): number {
    return this.droppedCount;
  }

  get size(): number {
    return this.frames.length;
  }

  add(captureMs: number, arrivedAt: number): void {
    this.frames.push({ captureMs, arrivedAt });
    if (this.frames.length > MAX_IN_FLIGHT) this.drop(1);
  }

  /** The frame of `captureMs` is on screen: true if it was in flight (else it was flushed). */
  shown(captureMs: number): boolean {
    let older = 0;
    while (older < this.frames.length && (this.frames[older]?.captureMs ?? 0) < captureMs) older++;
    this.drop(older);
    if (this.frames[0]?.captureMs !== captureMs) return false;
    this.frames.shift();
    return true;
  }

  /** How long the oldest frame has waited (ms), 0 when none waits. */
  oldestWaitMs(now: number): number {
    const oldest = this.frames[0];
    return oldest ? now - oldest.arrivedAt : 0;
  }

  /**
   * Whether the player is behind the live edge and should skip to the next keyframe; `settling`:
   * the decoder has shown nothing since it was (re)started.
   */
  behind(now: number, settling = false): boolean {
    return this.oldestWaitMs(now) > (settling ? SETTLE_WAIT_MS : MAX_WAIT_MS);
  }

  /** Everything still waiting will never be shown (decoder flushed or closed). */
  clear(): void {
    this.drop(this.frames.length);
  }

  private drop(n: number): void {
    this.frames.splice(0, n);
    this.droppedCount += n;
  }
}
