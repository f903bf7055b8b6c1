import {
  decodeChannelMessage,
  decodeMessage,
  findParameterSets,
  isKeyframe,
  KEYFRAME_REQUEST,
  parseSps,
} from '@cam/protocol';
import { backoffDelay, LATE_MAX_MS } from './backoff';
import {
  canDecode,
  DECODERS,
  type DecoderKind,
  firstCapable,
  hasTrackPresenter,
  preferredDecoder,
} from './decoders';
import { PlayerError, type PlayerErrorCode } from './errors';
import { JmuxerSink } from './jmuxer-sink';
import { FramesInFlight, KEYFRAME_ASK_INTERVAL_MS } from './live-edge';
import type { Frame, Sink } from './sink';
import { type LatencySummary, LatencyWindow, RateMeter } from './stats';
import { WebCodecsSink } from './webcodecs-sink';

export type { DecoderKind } from './decoders';
export type ConnectionState = 'connecting' | 'open' | 'playing' | 'reconnecting' | 'closed';
export type PictureElement = HTMLCanvasElement | HTMLVideoElement;

export interface PlayerOptions {
  /**
   * The decoder tried first (`auto`: see preferredDecoder()). With a container element the player falls back
   * to the other when this one cannot decode the stream or fails; a <canvas> only takes
   * WebCodecs, a <video> only jmuxer.
   */
  decoder?: 'auto' | DecoderKind;
  /** Sent as `?token=` when the streamer was started with `--token`. */
  token?: string;
  /**
   * Channel N of a streamer with `--channels`: asks for `?channel=N` and reads the v1.1 framing
   * (channel id first). Unset: channel 0 in the v1.0 framing, what every streamer serves.
   */
  channel?: number;
  /** Frame rate for jmuxer's timeline; default: `fps` from the server's `/api/stream`, else 30. */
  fps?: number;
  /** Called for every frame shown, with its capture time and the time it was shown (epoch ms). */
  onFrame?: (frame: { captureMs: number; shownMs: number }) => void;
  /** Called every `statsIntervalMs` (default 500) with fresh stats. */
  onStats?: (stats: PlayerStats) => void;
  statsIntervalMs?: number;
  /** A connection that delivers nothing for this long is closed and retried (default 5000). */
  stallTimeoutMs?: number;
}

export interface PlayerProblem {
  code: PlayerErrorCode;
  /** A sentence for the person watching: what is wrong and what to do. */
  message: string;
}

export interface PlayerStats {
  /** The decoder playing, null until the first keyframe has shown what the stream needs. */
  decoder: DecoderKind | null;
  state: ConnectionState;
  /** pause() was called; goLive() resumes at the live edge. */
  paused: boolean;
  /** Connections opened after the first. */
  reconnects: number;
  /** Tries so far in the current outage (0 while connected). */
  attempt: number;
  /** Delay before the next connection attempt while `reconnecting`, else null. */
  retryInMs: number | null;
  width: number;
  height: number;
  /** Frames shown in the last second. */
  fps: number;
  /** Received stream bitrate over the last second. */
  bitrateKbps: number;
  /** Now − capture time of the frame on screen (epoch clocks of camera and browser). */
  behindLiveMs: number | null;
  /** Now − capture time when each message arrives. */
  latencyMs: LatencySummary;
  /** Capture time → frame on screen (requestVideoFrameCallback for jmuxer, draw for WebCodecs). */
  displayLatencyMs: LatencySummary;
  framesReceived: number;
  framesShown: number;
  /** Frames not shown: malformed, waiting for a keyframe, skipped to the live edge, dropped by the decoder. */
  framesDropped: number;
  /** Times the player fell behind the live edge and skipped to the next keyframe. */
  liveSkips: number;
  /** Keyframe requests sent to the server. */
  keyframeRequests: number;
  /** Times a failed decoder was replaced by the other kind (at most once). */
  fallbacks: number;
  /** Socket open → first frame shown, for the current connection. */
  firstFrameMs: number | null;
  /** Seconds of media held by MSE (jmuxer), null for WebCodecs. */
  bufferedSeconds: number | null;
  /** What the person watching should know now (cleared when frames show again), else null. */
  problem: PlayerProblem | null;
  /** The last error in detail, for developers (cleared when a new connection plays). */
  lastError: string | null;
}

export interface Player {
  stats(): PlayerStats;
  /** Freezes the picture (the connection stays open). */
  pause(): void;
  /** Resumes at the live edge: the next keyframe, asked of the server. */
  goLive(): void;
  /** The frame on screen as a PNG at the stream's size. Rejects (NO_PICTURE) before the first. */
  snapshot(): Promise<Blob>;
  /** The <canvas> or <video> showing the stream (the player creates it in a container). */
  element(): PictureElement | null;
  close(): void;
}

export { preferredDecoder } from './decoders';

/**
 * Plays a camstream WebSocket stream (`AU ‖ u64 LE capture ms` per message) into a canvas
 * (WebCodecs), a video element (jmuxer/MSE), or any other element, in which it creates the one
 * the browser can decode the stream with. Reconnects until `close()`.
 */
export function createPlayer(
  target: HTMLElement,
  url: string,
  options: PlayerOptions = {},
): Player {
  const player = new LivePlayer(target, streamUrl(url, options.token, options.channel), options);
  return {
    stats: () => player.stats(),
    pause: () => player.pause(),
    goLive: () => player.goLive(),
    snapshot: () => player.snapshot(),
    element: () => player.element(),
    close: () => player.close(),
  };
}

// Frames held while the decoder is being chosen (a GOP at 30 fps, GOP 60).
const MAX_HELD = 60;
const ACCESS_TIMEOUT_MS = 2000;

type Access =
  | { kind: 'accept' }
  | { kind: 'unreachable' }
  | { kind: 'refused'; status: number; reason: string };

class LivePlayer {
  /** Decoders allowed for the target, preferred first. */
  private readonly order: DecoderKind[];
  /** Where the player creates its picture element; null when it was given one. */
  private readonly container: HTMLElement | null;
  private picture: PictureElement | null;
  private decoder: DecoderKind | null = null;
  private codec: string | null = null;
  private choosing = false;
  private held: Frame[] = [];
  private fps = 0;
  /** The frame rate jmuxer's timeline runs at (see streamFps()). */
  private readonly jmuxerFps: Promise<number>;
  private state: ConnectionState = 'connecting';
  private paused = false;
  private socket: WebSocket | null = null;
  private sink: Sink | null = null;
  private awaitingKeyframe = true;
  /** The decoder has shown nothing since it was created or flushed (see SETTLE_WAIT_MS). */
  private settling = true;
  private attempt = 0;
  private outageSince: number | null = null;
  private connections = 0;
  private retryAt: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private openedAt = 0;
  private lastMessageAt = 0;
  private lastAskAt = Number.NEGATIVE_INFINITY;
  private width = 0;
  private height = 0;
  private onScreenCaptureMs: number | null = null;
  private received = 0;
  private shown = 0;
  private dropped = 0; // before the decoder; what it drops is counted by inFlight
  private readonly inFlight = new FramesInFlight();
  private liveSkips = 0;
  private keyframeRequests = 0;
  private fallbacks = 0;
  private firstFrameMs: number | null = null;
  private problem: { code: PlayerErrorCode; detail: string } | null = null;
  private lastError: string | null = null;
  private readonly latency = new LatencyWindow();
  private readonly displayLatency = new LatencyWindow();
  private readonly shownRate = new RateMeter();
  private readonly byteRate = new RateMeter();

  constructor(
    target: HTMLElement,
    private readonly url: URL,
    private readonly options: PlayerOptions,
  ) {
    const asked = options.decoder ?? 'auto';
    if (target instanceof HTMLCanvasElement || target instanceof HTMLVideoElement) {
      const kind: DecoderKind = target instanceof HTMLCanvasElement ? 'webcodecs' : 'jmuxer';
      if (asked !== 'auto' && asked !== kind) {
        const wants = asked === 'webcodecs' ? 'canvas' : 'video';
        throw new PlayerError(
          'TARGET_MISMATCH',
          `decoder ${asked} plays into a <${wants}>, got <${target.tagName.toLowerCase()}>`,
        );
      }
      if (kind === 'webcodecs' && typeof VideoDecoder === 'undefined') {
        throw new PlayerError('UNSUPPORTED', 'webcodecs: this browser has no VideoDecoder');
      }
      if (kind === 'jmuxer' && typeof MediaSource === 'undefined') {
        throw new PlayerError('UNSUPPORTED', 'jmuxer: this browser has no MediaSource');
      }
      this.order = [kind];
      this.container = null;
      this.picture = target;
    } else {
      const first = asked === 'auto' ? preferredDecoder() : asked;
      this.order = [first, ...DECODERS.filter((k) => k !== first)];
      this.container = target;
      this.picture = null;
    }
    // jmuxer needs the stream's fps before its first frame: asked now, while the first
    // keyframe is on its way, not after it.
    this.jmuxerFps =
      options.fps === undefined && this.order.includes('jmuxer')
        ? this.streamFps()
        : Promise.resolve(options.fps ?? 30);
    this.statsTimer = setInterval(() => this.tick(), options.statsIntervalMs ?? 500);
    void this.connect();
  }

  stats(): PlayerStats {
    const now = performance.now();
    const retryInMs = this.retryAt === null ? null : Math.max(0, Math.round(this.retryAt - now));
    return {
      decoder: this.decoder,
      state: this.state,
      paused: this.paused,
      reconnects: Math.max(0, this.connections - 1),
      attempt: this.attempt,
      retryInMs,
      width: this.width,
      height: this.height,
      fps: this.shownRate.rate(now),
      bitrateKbps: (this.byteRate.rate(now) * 8) / 1000,
      behindLiveMs: this.onScreenCaptureMs === null ? null : Date.now() - this.onScreenCaptureMs,
      latencyMs: this.latency.summary(),
      displayLatencyMs: this.displayLatency.summary(),
      framesReceived: this.received,
      framesShown: this.shown,
      framesDropped: this.dropped + this.inFlight.dropped,
      liveSkips: this.liveSkips,
      keyframeRequests: this.keyframeRequests,
      fallbacks: this.fallbacks,
      firstFrameMs: this.firstFrameMs,
      bufferedSeconds: this.sink?.bufferedSeconds() ?? null,
      problem: this.problem && {
        code: this.problem.code,
        message: this.describe(this.problem.code, this.problem.detail, retryInMs),
      },
      lastError: this.lastError,
    };
  }

  element(): PictureElement | null {
    return this.picture;
  }

  pause(): void {
    this.paused = true;
  }

  goLive(): void {
    this.paused = false;
    this.skipToLive();
  }

  async snapshot(): Promise<Blob> {
    const picture = this.picture;
    if (!picture || this.width === 0 || this.onScreenCaptureMs === null) {
      throw new PlayerError('NO_PICTURE', 'snapshot: no frame has been shown yet');
    }
    const canvas = document.createElement('canvas');
    canvas.width = this.width;
    canvas.height = this.height;
    canvas.getContext('2d')?.drawImage(picture, 0, 0, this.width, this.height);
    return new Promise((resolve, reject) =>
      canvas.toBlob(
        (blob) =>
          blob
            ? resolve(blob)
            : reject(new PlayerError('NO_PICTURE', 'snapshot: PNG encoding failed')),
        'image/png',
      ),
    );
  }

  close(): void {
    this.state = 'closed';
    clearInterval(this.statsTimer);
    clearTimeout(this.retryTimer);
    this.retryAt = null;
    this.socket?.close(1000, 'player closed');
    this.closeSink();
    this.options.onStats?.(this.stats()); // the last word: why it stopped, if it did by itself
  }

  // --- connection ---------------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.retryAt = null;
    if (this.attempt > 0) {
      // A retry asks over HTTP first: a WebSocket refused or unanswered tells a page nothing
      // (close code 1006), and Firefox delays each WebSocket to a host that failed before.
      const access = await this.askAccess();
      if (this.isClosed()) return;
      if (access.kind !== 'accept') {
        this.onRefused(access);
        return;
      }
    }
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.connections++;
      this.openedAt = this.lastMessageAt = performance.now();
      this.firstFrameMs = null;
      this.awaitingKeyframe = true;
      this.state = 'open';
      if (this.decoder && !this.choosing) this.sink = this.newSink(this.decoder);
    };
    socket.onmessage = (event) => this.onMessage(new Uint8Array(event.data as ArrayBuffer));
    socket.onclose = (event) => {
      this.closeSink();
      if (this.isClosed()) return;
      if (event.code === 1001) this.setProblem('STOPPED', event.reason);
      else if (opened && event.code !== 4000) this.setProblem('UNREACHABLE', 'connection lost');
      if (event.code !== 1000 && event.code !== 1005) {
        this.lastError = `websocket ${this.url.host}: closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`;
      }
      this.state = 'reconnecting';
      this.outageSince ??= performance.now();
      // The first retry at once: it asks the server why, so the page can say so.
      this.scheduleRetry(this.attempt === 0 ? 0 : this.backoff());
    };
  }

  private onRefused(access: Exclude<Access, { kind: 'accept' }>): void {
    if (access.kind === 'unreachable') {
      // After a shutdown (1001) the streamer is expected back: keep saying it stopped.
      if (this.problem?.code !== 'STOPPED') this.setProblem('UNREACHABLE', '');
      this.scheduleRetry(this.backoff());
      return;
    }
    const code: PlayerErrorCode =
      access.status === 401
        ? 'TOKEN'
        : access.status === 403
          ? 'ORIGIN'
          : access.reason === 'shutting down'
            ? 'STOPPED'
            : 'FULL';
    this.setProblem(code, access.reason);
    this.lastError = `websocket ${this.url.host}: refused (${access.status} ${access.reason})`;
    // Token and origin need a person to act: ask again now and then, not every second.
    this.scheduleRetry(code === 'TOKEN' || code === 'ORIGIN' ? LATE_MAX_MS : this.backoff());
  }

  private scheduleRetry(delay: number): void {
    this.state = 'reconnecting';
    this.attempt++;
    this.retryAt = performance.now() + delay;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private backoff(): number {
    return backoffDelay(
      this.attempt - 1,
      performance.now() - (this.outageSince ?? performance.now()),
    );
  }

  /** What a WebSocket upgrade would be told, from the streamer's `/api/access`. */
  private async askAccess(): Promise<Access> {
    const url = this.httpUrl('/api/access');
    try {
      const res = await fetch(url, {
        cache: 'no-store',
        signal: AbortSignal.timeout(ACCESS_TIMEOUT_MS),
      });
      if (!res.ok) return { kind: 'accept' }; // a streamer without /api/access: just try
      const body = (await res.json()) as { accept?: unknown; status?: unknown; reason?: unknown };
      if (body.accept === true) return { kind: 'accept' };
      return { kind: 'refused', status: Number(body.status), reason: String(body.reason ?? '') };
    } catch {
      // Unreachable, or a streamer on another origin that predates /api/access (no CORS
      // header): an opaque request tells the two apart.
      try {
        await fetch(url, {
          mode: 'no-cors',
          cache: 'no-store',
          signal: AbortSignal.timeout(ACCESS_TIMEOUT_MS),
        });
        return { kind: 'accept' };
      } catch {
        return { kind: 'unreachable' };
      }
    }
  }

  // --- frames -------------------------------------------------------------------------------

  private onMessage(message: Uint8Array): void {
    const now = performance.now();
    this.lastMessageAt = now;
    this.received++;
    this.byteRate.add(now, message.length);
    let frame: Frame;
    try {
      const { accessUnit, timestampMs } =
        this.options.channel === undefined ? decodeMessage(message) : this.channelFrame(message);
      frame = { data: accessUnit, captureMs: timestampMs, keyframe: isKeyframe(accessUnit) };
    } catch (e) {
      this.dropped++;
      this.fail(e, `message ${this.received}`);
      this.awaitingKeyframe = true;
      return;
    }
    this.latency.add(Date.now() - frame.captureMs);
    if (this.paused) return; // neither shown nor dropped: the user froze the picture
    if (this.awaitingKeyframe && !frame.keyframe) {
      this.dropped++;
      return;
    }
    if (this.choosing) {
      this.hold(frame);
      return;
    }
    if (!this.decoder) {
      void this.chooseDecoder(frame);
      return;
    }
    if (!this.awaitingKeyframe && this.inFlight.behind(now, this.settling)) {
      this.skipToLive();
      if (!frame.keyframe) {
        this.dropped++;
        return;
      }
    }
    this.feed(frame, now);
  }

  private feed(frame: Frame, now: number): void {
    if (!this.sink) {
      this.dropped++;
      return;
    }
    try {
      if (this.sink.push(frame)) {
        this.inFlight.add(frame.captureMs, now);
        this.awaitingKeyframe = false;
        return;
      }
    } catch (e) {
      // e.g. an SPS the decoder cannot be configured for: wait for the next keyframe
      this.fail(e, `${this.decoder} frame ${this.received}`);
    }
    // A refused frame breaks the reference chain: nothing more until the next keyframe.
    this.dropped++;
    this.awaitingKeyframe = true;
  }

  private hold(frame: Frame): void {
    if (this.held.length >= MAX_HELD) this.dropped++;
    else this.held.push(frame);
  }

  /** Behind the live edge (or back from a pause): drop what waits, resume at the next keyframe. */
  private skipToLive(): void {
    this.sink?.flush();
    this.settling = true;
    this.inFlight.clear();
    this.liveSkips++;
    this.awaitingKeyframe = true;
    this.askKeyframe();
  }

  private askKeyframe(): void {
    const now = performance.now();
    // A hidden tab shows nothing and falls behind all the time: it must not make every
    // viewer's stream heavier with IDRs.
    if (this.socket?.readyState !== WebSocket.OPEN || document.visibilityState === 'hidden') return;
    if (now - this.lastAskAt < KEYFRAME_ASK_INTERVAL_MS) return;
    this.lastAskAt = now;
    this.keyframeRequests++;
    this.socket.send(KEYFRAME_REQUEST);
  }

  // --- decoders -----------------------------------------------------------------------------

  /** From the first keyframe's SPS: the first decoder in `order` this browser can use. */
  private async chooseDecoder(keyframe: Frame): Promise<void> {
    const { sps } = findParameterSets(keyframe.data);
    if (!sps) {
      this.dropped++;
      this.lastError = `frame ${this.received}: keyframe without SPS, waiting for the next`;
      this.awaitingKeyframe = true;
      return;
    }
    this.codec = parseSps(sps).codecString;
    this.choosing = true;
    this.held = [keyframe];
    const kind = await firstCapable(this.order, this.codec);
    if (this.isClosed()) return;
    if (!kind) {
      this.choosing = false;
      this.dropped += this.held.length;
      this.held = [];
      this.setProblem('UNSUPPORTED', this.codec);
      this.lastError = `no decoder for ${this.codec} (tried ${this.order.join(', ')})`;
      this.close(); // nothing a retry can change
      return;
    }
    await this.use(kind);
    this.choosing = false;
    const held = this.held;
    this.held = [];
    if (this.isClosed()) return;
    if (this.socket?.readyState === WebSocket.OPEN) this.sink = this.newSink(kind);
    const now = performance.now();
    for (const frame of held) this.feed(frame, now);
  }

  /** Makes `kind` the decoder: its element in the container, and jmuxer's frame rate. */
  private async use(kind: DecoderKind): Promise<void> {
    this.decoder = kind;
    if (this.container) {
      this.picture?.remove();
      // WebCodecs plays into a <video> where a track generator can feed one (see decoders.ts).
      const canvas = kind === 'webcodecs' && !hasTrackPresenter();
      const picture = document.createElement(canvas ? 'canvas' : 'video');
      picture.className = 'cam-picture';
      this.container.append(picture);
      this.picture = picture;
    }
    if (kind === 'jmuxer' && this.fps === 0) this.fps = await this.jmuxerFps;
  }

  private newSink(kind: DecoderKind): Sink {
    this.settling = true;
    const events = {
      shown: (captureMs: number, shownMs: number, width: number, height: number) =>
        this.onShown(captureMs, shownMs, width, height),
      failed: (message: string) => {
        // Not from inside the decoder's own call stack.
        setTimeout(() => void this.onDecoderFailed(message), 0);
      },
    };
    return kind === 'webcodecs'
      ? new WebCodecsSink(this.picture as PictureElement, events)
      : new JmuxerSink(this.picture as HTMLVideoElement, this.fps, events);
  }

  private onShown(captureMs: number, shownMs: number, width: number, height: number): void {
    this.onScreenCaptureMs = captureMs;
    this.width = width;
    this.height = height;
    if (!this.inFlight.shown(captureMs)) return; // shown after a skip: already counted dropped
    this.settling = false;
    this.shown++;
    this.shownRate.add(performance.now());
    this.displayLatency.add(shownMs - captureMs);
    if (this.firstFrameMs === null) {
      this.firstFrameMs = performance.now() - this.openedAt;
      this.lastError = null;
    }
    this.state = 'playing';
    this.problem = null;
    this.attempt = 0;
    this.outageSince = null;
    this.options.onFrame?.({ captureMs, shownMs });
  }

  /** A decoder failed mid-stream: the other kind takes over, once; after that, a fresh one. */
  private async onDecoderFailed(message: string): Promise<void> {
    if (this.isClosed() || !this.decoder) return;
    const failed = this.decoder;
    this.lastError = message;
    this.closeSink();
    const other = this.order.find((k) => k !== failed);
    let next = failed;
    if (this.fallbacks === 0 && other && this.codec && (await canDecode(other, this.codec))) {
      this.fallbacks++;
      next = other;
      await this.use(other);
    }
    this.setProblem(
      'DECODE',
      `${failed}: ${message}; ${next === failed ? 'restarted it' : `switched to ${next}`}`,
    );
    if (this.isClosed()) return;
    if (this.socket?.readyState === WebSocket.OPEN) this.sink = this.newSink(next);
    this.awaitingKeyframe = true;
    this.askKeyframe();
  }

  private closeSink(): void {
    if (!this.sink) return;
    this.sink.close();
    this.sink = null;
    this.inFlight.clear();
  }

  // --- stats and messages -------------------------------------------------------------------

  private tick(): void {
    const open = this.state === 'open' || this.state === 'playing';
    const stallMs = this.options.stallTimeoutMs ?? 5000;
    if (open && performance.now() - this.lastMessageAt > stallMs) {
      this.setProblem('STALLED', String(stallMs));
      this.lastError = `websocket ${this.url.host}: no data for ${stallMs} ms, reconnecting`;
      this.socket?.close(4000, 'stalled');
    }
    this.options.onStats?.(this.stats());
  }

  private setProblem(code: PlayerErrorCode, detail: string): void {
    this.problem = { code, detail };
  }

  private describe(code: PlayerErrorCode, detail: string, retryInMs: number | null): string {
    const retry = `retrying ${retryInMs === null ? 'now' : `in ${Math.ceil(retryInMs / 1000)} s`} (attempt ${this.attempt})`;
    switch (code) {
      case 'TOKEN':
        return this.url.searchParams.has('token')
          ? 'the streamer refused this token: check ?token=... in the address'
          : 'this stream needs a token: add ?token=... to the address';
      case 'ORIGIN':
        return `this page's origin (${location.origin}) is not allowed by the streamer (--allow-origin)`;
      case 'FULL':
        return `the streamer has as many viewers as it allows (--max-clients), ${retry}`;
      case 'STOPPED':
        return `streamer stopped, ${retry}`;
      case 'UNREACHABLE':
        return `streamer not reachable, ${retry}`;
      case 'STALLED':
        return `no video from the streamer for ${Number(detail) / 1000} s, reconnecting`;
      case 'UNSUPPORTED':
        return `this browser cannot play this H.264 stream (${detail}): neither WebCodecs nor MSE decodes it`;
      case 'DECODE':
        return `the decoder failed (${detail})`;
      default:
        return detail;
    }
  }

  /** A v1.1 message of the channel asked for; another channel's is an error. */
  private channelFrame(message: Uint8Array): { accessUnit: Uint8Array; timestampMs: number } {
    const decoded = decodeChannelMessage(message);
    if (decoded.channel !== this.options.channel) {
      throw new Error(
        `message of channel ${decoded.channel}, asked for channel ${this.options.channel}`,
      );
    }
    return decoded;
  }

  /** The stream's fps from `/api/stream` on the same server; 30 when it cannot be had. */
  private async streamFps(): Promise<number> {
    const info = this.httpUrl('/api/stream');
    try {
      const res = await fetch(info, { signal: AbortSignal.timeout(ACCESS_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const body = (await res.json()) as { fps?: unknown; channels?: { fps?: unknown }[] };
      const fps =
        this.options.channel === undefined ? body.fps : body.channels?.[this.options.channel]?.fps;
      if (typeof fps === 'number' && fps > 0) return fps;
      throw new Error(`no usable fps in ${JSON.stringify(fps)}`);
    } catch (e) {
      this.fail(e, `stream info ${info.pathname}: using 30 fps`);
      return 30;
    }
  }

  /** An HTTP URL on the stream's server, carrying the token. */
  private httpUrl(path: string): URL {
    const url = new URL(path, this.url);
    url.protocol = this.url.protocol === 'wss:' ? 'https:' : 'http:';
    url.search = this.url.search;
    return url;
  }

  /** A method, not a field read: TypeScript would keep its narrowing across an await. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private fail(e: unknown, context?: string): void {
    const message = e instanceof Error ? e.message : String(e);
    this.lastError = context ? `${context}: ${message}` : message;
  }
}

function streamUrl(url: string, token: string | undefined, channel: number | undefined): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PlayerError('BAD_URL', `stream URL ${JSON.stringify(url)} is not a URL`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new PlayerError('BAD_URL', `stream URL ${url} must start with ws:// or wss://`);
  }
  if (token) parsed.searchParams.set('token', token);
  if (channel !== undefined) {
    if (!Number.isInteger(channel) || channel < 0 || channel > 255) {
      throw new PlayerError('BAD_URL', `channel ${channel} is not an integer 0..255`);
    }
    parsed.searchParams.set('channel', String(channel));
  }
  return parsed;
}
