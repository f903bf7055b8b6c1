import JMuxer from 'jmuxer/src/jmuxer.js';
import { type Frame, type Sink, type SinkEvents, wallClock } from './sink';

// Frames that arrive before MediaSource opens wait here (a GOP at 30 fps, GOP 60, fits).
const MAX_PENDING = 60;
// Capture times remembered for frames fed but not yet shown (10 s at 30 fps).
const MAX_TRACKED = 300;
// Small lags are played away: faster, in proportion to the excess, while more than this many
// frames are buffered ahead. Two frames played without a dropped frame here; a buffer that runs
// dry (as a timeline even 1% ahead of capture makes it) costs ~4% of frames. Larger lags are the
// live-edge policy's (live-edge.ts): flush() and a seek to the next keyframe.
const TARGET_DEPTH_FRAMES = 2;
const CATCH_UP_GAIN = 4; // playback rate added per second of excess depth
const MAX_CATCH_UP_RATE = 1.5;
// jmuxer's own catch-up (a seek to the buffer's end, wherever the keyframes are) is left to the
// policy: this is longer than any buffer the policy lets build up.
const JMUXER_MAX_DELAY_MS = 3_600_000;

/**
 * jmuxer (MSE) set up for live: every message is one complete access unit, pushed to the
 * SourceBuffer at once (`flushingTime: 0`, `isLastVideoFrameComplete`), timed by the stream's
 * fps; a small lag is played away; flush() skips what is buffered by seeking to the next
 * keyframe fed. jmuxer trims played media (`clearBuffer`, which keeps ~30 s behind the
 * playhead), so the buffer stays bounded in a long session.
 */
export class JmuxerSink implements Sink {
  private readonly jmuxer: JMuxer;
  private readonly rateTimer: ReturnType<typeof setInterval>;
  private readonly frameMs: number;
  private ready = false;
  private readonly pending: Frame[] = [];
  // Frame n starts at media time n × frameMs: that is how a shown frame finds its capture time.
  private readonly captureByIndex = new Map<number, number>();
  private nextIndex = 0;
  private seekToNextKeyframe = false;
  private frameCallback = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly fps: number,
    private readonly events: SinkEvents,
  ) {
    // Whole ms, rounded up (34 ms at 30 fps): a timeline running even 1% ahead of capture keeps
    // emptying the buffer, and Chromium then drops frames; a slightly slow one is taken up by the
    // catch-up rate below. A constant duration also keeps jmuxer's keyframe positions, which
    // its buffer trimming relies on, exact.
    this.frameMs = Math.ceil(1000 / fps);
    video.muted = true; // browsers only autoplay muted video
    video.autoplay = true;
    video.playsInline = true;
    this.jmuxer = new JMuxer({
      node: video,
      mode: 'video',
      flushingTime: 0,
      maxDelay: JMUXER_MAX_DELAY_MS,
      clearBuffer: true,
      fps,
      onReady: () => {
        this.ready = true;
        for (const frame of this.pending.splice(0)) this.feed(frame);
      },
      onError: (e) => this.events.failed(`jmuxer: ${e.type} ${e.name}: ${e.error}`),
      onUnsupportedCodec: (codec) => this.events.failed(`jmuxer: browser cannot play ${codec}`),
    });
    this.watchFrames();
    this.rateTimer = setInterval(() => this.holdDepth(), 250);
  }

  push(frame: Frame): boolean {
    if (this.ready) {
      this.feed(frame);
      return true;
    }
    if (this.pending.length >= MAX_PENDING) return false;
    this.pending.push(frame);
    return true;
  }

  flush(): void {
    this.pending.length = 0;
    this.seekToNextKeyframe = true;
  }

  bufferedSeconds(): number {
    const { buffered } = this.video;
    let seconds = 0;
    for (let i = 0; i < buffered.length; i++) seconds += buffered.end(i) - buffered.start(i);
    return seconds;
  }

  close(): void {
    clearInterval(this.rateTimer);
    this.video.cancelVideoFrameCallback(this.frameCallback);
    this.jmuxer.destroy();
  }

  private feed(frame: Frame): void {
    const index = this.nextIndex++;
    this.jmuxer.feed({ video: frame.data, duration: this.frameMs, isLastVideoFrameComplete: true });
    this.captureByIndex.set(index, frame.captureMs);
    this.captureByIndex.delete(index - MAX_TRACKED);
    if (this.seekToNextKeyframe && frame.keyframe) {
      this.seekToNextKeyframe = false;
      // Everything buffered before this keyframe is skipped; the browser waits for its data.
      this.video.currentTime = (index * this.frameMs) / 1000;
    }
  }

  private watchFrames(): void {
    this.frameCallback = this.video.requestVideoFrameCallback((_now, meta) => {
      const index = Math.round((meta.mediaTime * 1000) / this.frameMs);
      const captureMs = this.captureByIndex.get(index);
      if (captureMs !== undefined) {
        this.events.shown(captureMs, wallClock(meta.expectedDisplayTime), meta.width, meta.height);
      }
      this.watchFrames();
    });
  }

  private holdDepth(): void {
    const { buffered } = this.video;
    if (buffered.length === 0) return;
    // Autoplay can still be refused (e.g. a background tab): keep asking.
    if (this.video.paused) void this.video.play().catch(() => {});
    const excess =
      buffered.end(buffered.length - 1) - this.video.currentTime - TARGET_DEPTH_FRAMES / this.fps;
    this.video.playbackRate = Math.min(MAX_CATCH_UP_RATE, 1 + CATCH_UP_GAIN * Math.max(0, excess));
  }
}
