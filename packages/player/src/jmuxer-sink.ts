import JMuxer from 'jmuxer/src/jmuxer.js';
import { type Frame, type Sink, type SinkEvents, wallClock } from './sink';

// Frames that arrive before MediaSource opens wait here (a GOP at 30 fps, GOP 60, fits).
const MAX_PENDING = 60;
// Capture times remembered for frames fed but not yet shown (10 s at 30 fps).
const MAX_TRACKED = 300;
// jmuxer seeks to the live edge (checked every second) when playback is this far behind: after
// a late joiner's catch-up burst, a network hiccup or a hidden tab. Playing normally, the
// playhead stays ~2 frames behind the end of the buffer.
const MAX_LAG_MS = 300;

/**
 * jmuxer (MSE) set up for live: every message is one complete access unit, pushed to the
 * SourceBuffer at once (`flushingTime: 0`, `isLastVideoFrameComplete`), timed by the stream's
 * fps; jmuxer cuts playback back to the live edge and trims played media (`clearBuffer`, which
 * keeps ~30 s behind the playhead), so the buffer stays bounded in a long session.
 */
export class JmuxerSink implements Sink {
  private readonly jmuxer: JMuxer;
  private readonly frameMs: number;
  private ready = false;
  private readonly pending: Frame[] = [];
  // Frame n sits at media time n × frameMs: that is how a shown frame finds its capture time.
  private readonly captureByIndex = new Map<number, number>();
  private nextIndex = 0;
  private dropped = 0;
  private jumps = 0;
  private frameCallback = 0;
  private readonly onSeeking = () => this.jumps++;

  constructor(
    private readonly video: HTMLVideoElement,
    fps: number,
    private readonly events: SinkEvents,
  ) {
    this.frameMs = Math.round(1000 / fps);
    video.muted = true; // browsers only autoplay muted video
    video.autoplay = true;
    video.playsInline = true;
    video.addEventListener('seeking', this.onSeeking);
    this.jmuxer = new JMuxer({
      node: video,
      mode: 'video',
      flushingTime: 0,
      maxDelay: MAX_LAG_MS,
      clearBuffer: true,
      fps,
      onReady: () => {
        this.ready = true;
        for (const frame of this.pending.splice(0)) this.feed(frame);
      },
      onError: (e) => this.events.error(`jmuxer: ${e.type} ${e.name}: ${e.error}`),
      onUnsupportedCodec: (codec) => this.events.error(`jmuxer: browser cannot play ${codec}`),
    });
    this.watchFrames();
  }

  push(frame: Frame): boolean {
    if (this.ready) {
      this.feed(frame);
      return true;
    }
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return false;
    }
    this.pending.push(frame);
    return true;
  }

  extra() {
    const { buffered } = this.video;
    let seconds = 0;
    for (let i = 0; i < buffered.length; i++) seconds += buffered.end(i) - buffered.start(i);
    const quality = this.video.getVideoPlaybackQuality();
    return {
      dropped: this.dropped + quality.droppedVideoFrames,
      bufferedSeconds: seconds,
      liveEdgeJumps: this.jumps,
    };
  }

  close(): void {
    this.video.cancelVideoFrameCallback(this.frameCallback);
    this.video.removeEventListener('seeking', this.onSeeking);
    this.jmuxer.destroy();
  }

  private feed(frame: Frame): void {
    this.jmuxer.feed({ video: frame.data, duration: this.frameMs, isLastVideoFrameComplete: true });
    this.captureByIndex.set(this.nextIndex, frame.captureMs);
    this.captureByIndex.delete(this.nextIndex - MAX_TRACKED);
    this.nextIndex++;
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
}
