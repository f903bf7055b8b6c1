import { findParameterSets, parseSps } from '@cam/protocol';
import { PlayerError } from './errors';
import { type Frame, type Sink, type SinkEvents, wallClock } from './sink';

// A late joiner's cached GOP arrives in one burst and all of it must be decoded (each frame
// refers to the one before), so the queue must hold a GOP. Beyond ~3 s of 30 fps video the
// decoder is truly behind: dropping to the next keyframe catches up faster than decoding on.
const MAX_DECODE_QUEUE = 90;

/** WebCodecs VideoDecoder in low-latency mode, each decoded frame drawn to a canvas at once. */
export class WebCodecsSink implements Sink {
  private decoder: VideoDecoder;
  private readonly ctx: CanvasRenderingContext2D;
  private sps: Uint8Array | null = null;
  private dropped = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: SinkEvents,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PlayerError('UNSUPPORTED', 'webcodecs: canvas has no 2d context');
    this.ctx = ctx;
    this.decoder = this.newDecoder();
  }

  push(frame: Frame): boolean {
    if (frame.keyframe) this.configureFrom(frame);
    if (this.decoder.state !== 'configured' || this.decoder.decodeQueueSize >= MAX_DECODE_QUEUE) {
      this.dropped++;
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

  extra() {
    return { dropped: this.dropped, bufferedSeconds: null, liveEdgeJumps: 0 };
  }

  close(): void {
    if (this.decoder.state !== 'closed') this.decoder.close();
  }

  private newDecoder(): VideoDecoder {
    return new VideoDecoder({
      output: (videoFrame) => {
        const { displayWidth: w, displayHeight: h } = videoFrame;
        if (this.canvas.width !== w || this.canvas.height !== h) {
          this.canvas.width = w;
          this.canvas.height = h;
        }
        const captureMs = videoFrame.timestamp / 1000;
        this.ctx.drawImage(videoFrame, 0, 0);
        videoFrame.close();
        this.events.shown(captureMs, wallClock(performance.now()), w, h);
      },
      error: (e) => {
        // A failed VideoDecoder is closed for good: start a fresh one that waits for SPS + IDR.
        this.events.error(`webcodecs: ${e.message}`);
        this.sps = null;
        this.decoder = this.newDecoder();
      },
    });
  }

  /** (Re)configure when the SPS changes: first keyframe, new resolution, restarted encoder. */
  private configureFrom(frame: Frame): void {
    const { sps } = findParameterSets(frame.data);
    if (!sps || (this.sps && sameBytes(sps, this.sps) && this.decoder.state === 'configured')) {
      return;
    }
    this.decoder.configure({
      codec: parseSps(sps).codecString,
      optimizeForLatency: true,
    });
    this.sps = sps.slice();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
