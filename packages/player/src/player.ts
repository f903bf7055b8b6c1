import { decodeChannelMessage, decodeMessage, isKeyframe } from '@cam/protocol';
import { backoffDelay } from './backoff';
import { PlayerError } from './errors';
import { JmuxerSink } from './jmuxer-sink';
import type { Frame, Sink } from './sink';
import { type LatencySummary, LatencyWindow, RateMeter } from './stats';
import { WebCodecsSink } from './webcodecs-sink';

export type DecoderKind = 'webcodecs' | 'jmuxer';
export type ConnectionState = 'connecting' | 'open' | 'playing' | 'reconnecting' | 'closed';

export interface PlayerOptions {
  /** `auto` (default) picks by target: a canvas gets WebCodecs, a video gets jmuxer. */
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

export interface PlayerStats {
  decoder: DecoderKind;
  state: ConnectionState;
  /** Connections opened after the first. */
  reconnects: number;
  /** Delay before the next connection attempt while `reconnecting`, else null. */
  retryInMs: number | null;
  width: number;
  height: number;
  /** Frames shown in the last second. */
  fps: number;
  /** Received stream bitrate over the last second. */
  bitrateKbps: number;
  /** Now − capture time when each message arrives. */
  latencyMs: LatencySummary;
  /** Capture time → frame on screen (requestVideoFrameCallback for jmuxer, draw for WebCodecs). */
  displayLatencyMs: LatencySummary;
  framesReceived: number;
  framesShown: number;
  /** Frames not shown: malformed, waiting for a keyframe, decoder behind, or dropped by the browser. */
  framesDropped: number;
  /** Socket open → first frame shown, for the current connection. */
  firstFrameMs: number | null;
  /** Seconds of media held by MSE (jmuxer), null for WebCodecs. */
  bufferedSeconds: number | null;
  /** Seeks back to the live edge (jmuxer). */
  liveEdgeJumps: number;
  lastError: string | null;
}

export interface Player {
  stats(): PlayerStats;
  close(): void;
}

/** The decoder a new player should use in this browser: WebCodecs where it exists, else jmuxer. */
export function preferredDecoder(): DecoderKind {
  return typeof VideoDecoder === 'undefined' ? 'jmuxer' : 'webcodecs';
}

/**
 * Plays a camstream WebSocket stream (`AU ‖ u64 LE capture ms` per message) into a canvas
 * (WebCodecs) or a video element (jmuxer/MSE), reconnecting with backoff until `close()`.
 */
export function createPlayer(
  target: HTMLVideoElement | HTMLCanvasElement,
  url: string,
  options: PlayerOptions = {},
): Player {
  const player = new LivePlayer(target, streamUrl(url, options.token, options.channel), options);
  return { stats: () => player.stats(), close: () => player.close() };
}

class LivePlayer {
  private readonly decoder: DecoderKind;
  private state: ConnectionState = 'connecting';
  private socket: WebSocket | null = null;
  private sink: Sink | null = null;
  private awaitingKeyframe = true;
  private attempt = 0;
  private connections = 0;
  private retryAt: number | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly statsTimer: ReturnType<typeof setInterval>;
  private openedAt = 0;
  private lastMessageAt = 0;
  private width = 0;
  private height = 0;
  private received = 0;
  private shown = 0;
  private dropped = 0; // by the player, plus what closed sinks dropped
  private firstFrameMs: number | null = null;
  private jumps = 0; // of closed sinks
  private lastError: string | null = null;
  private readonly latency = new LatencyWindow();
  private readonly displayLatency = new LatencyWindow();
  private readonly shownRate = new RateMeter();
  private readonly byteRate = new RateMeter();

  constructor(
    private readonly target: HTMLVideoElement | HTMLCanvasElement,
    private readonly url: URL,
    private readonly options: PlayerOptions,
  ) {
    this.decoder = chooseDecoder(target, options.decoder ?? 'auto');
    this.statsTimer = setInterval(() => this.tick(), options.statsIntervalMs ?? 500);
    void this.connect();
  }

  stats(): PlayerStats {
    const now = performance.now();
    const extra = this.sink?.extra() ?? { dropped: 0, bufferedSeconds: null, liveEdgeJumps: 0 };
    return {
      decoder: this.decoder,
      state: this.state,
      reconnects: Math.max(0, this.connections - 1),
      retryInMs: this.retryAt === null ? null : Math.max(0, Math.round(this.retryAt - now)),
      width: this.width,
      height: this.height,
      fps: this.shownRate.rate(now),
      bitrateKbps: (this.byteRate.rate(now) * 8) / 1000,
      latencyMs: this.latency.summary(),
      displayLatencyMs: this.displayLatency.summary(),
      framesReceived: this.received,
      framesShown: this.shown,
      framesDropped: this.dropped + extra.dropped,
      firstFrameMs: this.firstFrameMs,
      bufferedSeconds: extra.bufferedSeconds,
      liveEdgeJumps: this.jumps + extra.liveEdgeJumps,
      lastError: this.lastError,
    };
  }

  close(): void {
    this.state = 'closed';
    clearInterval(this.statsTimer);
    clearTimeout(this.retryTimer);
    this.retryAt = null;
    this.socket?.close(1000, 'player closed');
    this.closeSink();
  }

  private async connect(): Promise<void> {
    this.retryAt = null;
    const fps = this.decoder === 'jmuxer' ? (this.options.fps ?? (await this.streamFps())) : 0;
    if (this.state === 'closed') return;
    const socket = new WebSocket(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.connections++;
      this.openedAt = this.lastMessageAt = performance.now();
      this.firstFrameMs = null;
      this.awaitingKeyframe = true;
      this.state = 'open';
      try {
        this.sink = this.newSink(fps);
      } catch (e) {
        this.fail(e);
        this.close();
      }
    };
    socket.onmessage = (event) => this.onMessage(new Uint8Array(event.data as ArrayBuffer));
    socket.onerror = () => {
      this.lastError = `websocket ${this.url.host}: connection error`;
    };
    socket.onclose = (event) => {
      this.closeSink();
      if (this.state === 'closed') return;
      if (event.code !== 1000 && event.code !== 1005) {
        this.lastError = `websocket ${this.url.host}: closed (${event.code}${event.reason ? ` ${event.reason}` : ''})`;
      }
      this.state = 'reconnecting';
      const delay = backoffDelay(this.attempt++);
      this.retryAt = performance.now() + delay;
      this.retryTimer = setTimeout(() => void this.connect(), delay);
    };
  }

  private newSink(fps: number): Sink {
    const events = {
      shown: (captureMs: number, shownMs: number, width: number, height: number) => {
        this.shown++;
        this.shownRate.add(performance.now());
        this.displayLatency.add(shownMs - captureMs);
        this.width = width;
        this.height = height;
        this.state = 'playing';
        this.firstFrameMs ??= performance.now() - this.openedAt;
        this.options.onFrame?.({ captureMs, shownMs });
      },
      error: (message: string) => {
        this.lastError = message;
        this.awaitingKeyframe = true;
      },
    };
    return this.decoder === 'webcodecs'
      ? new WebCodecsSink(this.target as HTMLCanvasElement, events)
      : new JmuxerSink(this.target as HTMLVideoElement, fps, events);
  }

  private onMessage(message: Uint8Array): void {
    const now = performance.now();
    this.lastMessageAt = now;
    this.received++;
    this.byteRate.add(now, message.length);
    this.attempt = 0; // the server is up and streaming: the next outage starts from a short delay
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
    if (!this.sink || (this.awaitingKeyframe && !frame.keyframe)) {
      this.dropped++;
      return;
    }
    // A refused frame breaks the reference chain: nothing more until the next keyframe.
    try {
      this.awaitingKeyframe = !this.sink.push(frame);
    } catch (e) {
      // e.g. an SPS the decoder cannot be configured for: wait for the next keyframe
      this.dropped++;
      this.fail(e, `${this.decoder} frame ${this.received}`);
      this.awaitingKeyframe = true;
    }
  }

  private tick(): void {
    const open = this.state === 'open' || this.state === 'playing';
    const stallMs = this.options.stallTimeoutMs ?? 5000;
    if (open && performance.now() - this.lastMessageAt > stallMs) {
      this.lastError = `websocket ${this.url.host}: no data for ${stallMs} ms, reconnecting`;
      this.socket?.close(4000, 'stalled');
    }
    this.options.onStats?.(this.stats());
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
    const info = new URL('/api/stream', this.url);
    info.protocol = this.url.protocol === 'wss:' ? 'https:' : 'http:';
    info.search = this.url.search; // carries the token
    try {
      const res = await fetch(info, { signal: AbortSignal.timeout(2000) });
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

  private closeSink(): void {
    if (!this.sink) return;
    const extra = this.sink.extra();
    this.dropped += extra.dropped;
    this.jumps += extra.liveEdgeJumps;
    this.sink.close();
    this.sink = null;
  }

  private fail(e: unknown, context?: string): void {
    const message = e instanceof Error ? e.message : String(e);
    this.lastError = context ? `${context}: ${message}` : message;
  }
}

function chooseDecoder(
  target: HTMLVideoElement | HTMLCanvasElement,
  requested: 'auto' | DecoderKind,
): DecoderKind {
  const isCanvas = target instanceof HTMLCanvasElement;
  const kind = requested === 'auto' ? (isCanvas ? 'webcodecs' : 'jmuxer') : requested;
  if ((kind === 'webcodecs') !== isCanvas) {
    const wants = kind === 'webcodecs' ? 'canvas' : 'video';
    throw new PlayerError(
      'TARGET_MISMATCH',
      `decoder ${kind} plays into a <${wants}>, got <${target.tagName.toLowerCase()}>`,
    );
  }
  if (kind === 'webcodecs' && typeof VideoDecoder === 'undefined') {
    throw new PlayerError('UNSUPPORTED', 'webcodecs: this browser has no VideoDecoder');
  }
  if (kind === 'jmuxer' && typeof MediaSource === 'undefined') {
    throw new PlayerError('UNSUPPORTED', 'jmuxer: this browser has no MediaSource');
  }
  return kind;
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
