import { findParameterSets, parseSps } from '@cam/protocol';
import { PlayerError } from './errors';
import { type Frame, type Sink, type SinkEvents, wallClock } from './sink';

// A safety net under the live-edge policy (live-edge.ts), which flushes long before: a late
// joiner's cached GOP arrives in one burst and must all be decoded, so this holds a GOP and more.
const MAX_DECODE_QUEUE = 90;

/** Puts decoded frames on screen and says when each is shown. */
interface Presenter {
  /** Takes ownership of the frame (closes it). */
  present(frame: VideoFrame): void;
  close(): void;
}

/**
 * WebCodecs VideoDecoder in low-latency mode. Into a <video>, decoded frames go to a track
 * generator the compositor shows (off the main thread; Chromium); into a <canvas>, each is drawn
 * by the main thread as it comes (every browser with WebCodecs).
 */
export class WebCodecsSink implements Sink {
  private readonly decoder: VideoDecoder;
  private readonly presenter: Presenter;
  private sps: Uint8Array | null = null;
  private failed = false;

  constructor(picture: HTMLCanvasElement | HTMLVideoElement, events: SinkEvents) {
    this.presenter =
      picture instanceof HTMLVideoElement
        ? new TrackPresenter(picture, events)
        : new CanvasPresenter(picture, events);
    this.decoder = new VideoDecoder({
      output: (videoFrame) => this.presenter.present(videoFrame),
      error: (e) => {
        // A failed VideoDecoder is closed for good; the player replaces this sink.
        this.failed = true;
        events.failed(`webcodecs: ${e.message}`);
      },
    });
  }

  push(frame: Frame): boolean {
    if (this.failed) return false;
    if (frame.keyframe) this.configureFrom(frame);
    if (this.decoder.state !== 'configured' || this.decoder.decodeQueueSize >= MAX_DECODE_QUEUE) {
      return false;
    }
    this.decoder.decode(
      new EncodedVideoChunk({
        type: frame.keyframe ? 'key' : 'delta',
        timestamp: frame.captureMs * 1000, // µs; carried to the output frame
        data: frame.data,
      }),
    );
    return true;
  }

  flush(): void {
    // Drops queued chunks and pending outputs; the decoder then needs configure() again,
    // which the next keyframe does.
    if (this.decoder.state === 'configured') this.decoder.reset();
  }

  bufferedSeconds(): null {
    return null;
  }

  close(): void {
    if (this.decoder.state !== 'closed') this.decoder.close();
    this.presenter.close();
  }

  /** (Re)configure when the SPS changes: first keyframe, new resolution, restarted encoder, after a flush. */
  private configureFrom(frame: Frame): void {
    const { sps } = findParameterSets(frame.data);
    if (!sps || (this.sps && sameBytes(sps, this.sps) && this.decoder.state === 'configured')) {
      return;
    }
    this.decoder.configure({ codec: parseSps(sps).codecString, optimizeForLatency: true });
    this.sps = sps.slice();
  }
}

/**
 * The newest frame drawn on the canvas at the next animation frame, by the page's main thread.
 * A frame still waiting when a newer one comes is closed, not drawn (the player counts it
 * dropped): when drawing takes longer than the time between frames (a 1080p frame in software,
 * a throttled page) the picture stays one draw behind instead of queueing every draw.
 */
class CanvasPresenter implements Presenter {
  private readonly ctx: CanvasRenderingContext2D;
  private waiting: VideoFrame | null = null;
  private animationFrame = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: SinkEvents,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PlayerError('UNSUPPORTED', 'webcodecs: canvas has no 2d context');
    this.ctx = ctx;
  }

  present(videoFrame: VideoFrame): void {
    this.waiting?.close();
    this.waiting = videoFrame;
    this.animationFrame ||= requestAnimationFrame(() => this.draw());
  }

  close(): void {
    cancelAnimationFrame(this.animationFrame);
    this.waiting?.close();
    this.waiting = null;
  }

  private draw(): void {
    this.animationFrame = 0;
    const videoFrame = this.waiting;
    if (!videoFrame) return;
    this.waiting = null;
    const { displayWidth: w, displayHeight: h } = videoFrame;
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const captureMs = videoFrame.timestamp / 1000;
    this.ctx.drawImage(videoFrame, 0, 0);
    videoFrame.close();
    this.events.shown(captureMs, wallClock(performance.now()), w, h);
  }
}

/**
 * Frames written to a MediaStreamTrackGenerator playing in the <video>: the browser shows the
 * newest, as it does a camera's track. requestVideoFrameCallback says which frame went on
 * screen (its mediaTime is the frame's timestamp, the capture time) and when. A frame the track
 * cannot take yet is closed, not queued: a newer one follows (the player counts it dropped).
 */
class TrackPresenter implements Presenter {
  private readonly track: MediaStreamVideoTrackGenerator;
  private readonly writer: WritableStreamDefaultWriter<VideoFrame>;
  private frameCallback = 0;
  private closed = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly events: SinkEvents,
  ) {
    if (MediaStreamTrackGenerator === undefined) {
      throw new PlayerError('UNSUPPORTED', 'webcodecs: no MediaStreamTrackGenerator for a <video>');
    }
    this.track = new MediaStreamTrackGenerator({ kind: 'video' });
    this.writer = this.track.writable.getWriter();
    video.muted = true; // browsers only autoplay muted video
    video.autoplay = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([this.track]);
    this.watchFrames();
  }

  present(videoFrame: VideoFrame): void {
    if (this.closed || (this.writer.desiredSize ?? 0) <= 0) {
      videoFrame.close();
      return;
    }
    // Autoplay can be refused (e.g. a background tab): keep asking.
    if (this.video.paused) void this.video.play().catch(() => {});
    this.writer.write(videoFrame).catch((e: Error) => {
      videoFrame.close();
      if (!this.closed) this.events.failed(`webcodecs: video track: ${e.message}`);
    });
  }

  close(): void {
    this.closed = true;
    this.video.cancelVideoFrameCallback(this.frameCallback);
    this.track.stop();
    this.video.srcObject = null;
  }

  private watchFrames(): void {
    this.frameCallback = this.video.requestVideoFrameCallback((_now, meta) => {
      const captureMs = Math.round(meta.mediaTime * 1000);
      this.events.shown(captureMs, wallClock(meta.expectedDisplayTime), meta.width, meta.height);
      this.watchFrames();
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
