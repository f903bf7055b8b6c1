import { findParameterSets, parseSps } from '@cam/protocol';
import { PlayerError } from './errors';
import { type Frame, type Sink, type SinkEvents, wallClock } from './sink';

// A safety net under the live-edge policy (live-edge.ts), which flushes long before: a late
// joiner's cached GOP arrives in one burst and must all be decoded, so this holds a GOP and more.
const MAX_DECODE_QUEUE = 90;

/** WebCodecs VideoDecoder in low-latency mode, each decoded frame drawn to a canvas at once. */
export class WebCodecsSink implements Sink {
  private readonly decoder: VideoDecoder;
  private readonly ctx: CanvasRenderingContext2D;
  private sps: Uint8Array | null = null;
  private failed = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly events: SinkEvents,
  ) {
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PlayerError('UNSUPPORTED', 'webcodecs: canvas has no 2d context');
    this.ctx = ctx;
    this.decoder = new VideoDecoder({
      output: (videoFrame) => this.draw(videoFrame),
      error: (e) => {
        // A failed VideoDecoder is closed for good; the player replaces this sink.
        this.failed = true;
        this.events.failed(`webcodecs: ${e.message}`);
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
  }

  private draw(videoFrame: VideoFrame): void {
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

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
