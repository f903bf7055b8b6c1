// The composition: camera → shared-memory ring (local readers) and → WebSocket fan-out
// (every client gets the same framed bytes). Frames are framed once, here.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import {
  CHANNEL_ID_BYTES,
  encodeChannelMessageInPlace,
  findParameterSets,
  isKeyframeRequest,
  parseSps,
  type SpsInfo,
} from '@cam/protocol';
import {
  type Camera,
  type CameraInfo,
  type CameraOptions,
  type EncodedFrame,
  openCamera,
  type StreamInfo,
} from '@cam/sdk-native';
import { type ParameterSets, ringBytesFor, type ShmError, ShmWriter, shmLayout } from '@cam/shm';
import { decideUpgrade } from './access';
import {
  type Channel,
  planRings,
  RAW_FORMATS,
  type RingSize,
  resolveChannels,
  ringName,
} from './channels';
import { chooseServer } from './choose-server';
import { resolveConfig, type StreamerConfig } from './config';
import { Fanout, type Peer } from './fanout';
import { chooseJoin, type JoinPolicy } from './join';
import { createLogger, type Logger } from './log';
import { type ChannelMetrics, StreamerMetrics } from './metrics';
import { route } from './routes';
import { type Rtsp, startRtsp } from './rtsp';
import type {
  Implementation,
  Request,
  ServerHandlers,
  Subscription,
  UpgradeDecision,
  WebSocketServer,
} from './server';
import { loadViewer } from './viewer';

export const VERSION: string = createRequire(import.meta.url)('../package.json').version;

/** How a streamer ended: `ok` false when it stopped on a failure (the camera died). */
export interface StopResult {
  ok: boolean;
  reason: string;
}

export interface StreamerOptions {
  /** Defaults to a logger built from config.logLevel and config.logJson, on stdout. */
  log?: Logger;
}

/** A frame as the camera handed it over, before the streamer publishes and sends it. */
export interface FrameEvent {
  /** Which channel (stream of the camera) it belongs to. */
  channel: number;
  /** The camera's counter of this channel's frame slots; a gap means frames were dropped. */
  sequence: number;
  /** Capture wall clock, ms since the Unix epoch: the timestamp clients read in the trailer. */
  timestampMs: number;
  keyframe: boolean;
  /** Bytes of the H.264 access unit (or raw picture); a v1.0 message is 8 more. */
  bytes: number;
}

export interface StreamerEvents {
  frame: [FrameEvent];
}

// Clients get this long to answer the shutdown close frame before they are dropped.
const CLOSE_GRACE_MS = 1000;
const CLOSE_POLL_MS = 10;
// A frame the ring refuses (e.g. larger than a slot) is logged at most this often.
const SHM_WARN_INTERVAL_MS = 10_000;

/** One channel as it runs: what was asked, what the camera gives, its clients and ring. */
interface ChannelRun {
  spec: Channel;
  /** What the camera runs it at; null when the source cannot give it (a file's channel 1+). */
  stream: StreamInfo | null;
  /** H.264 channels only. */
  fanout: Fanout | null;
  shm: ShmWriter | null;
  ring: string | null;
  sps: SpsInfo | null;
  metrics: ChannelMetrics;
  shmWarnedAt: number;
  shmFailuresUnlogged: number;
}

/**
 * Emits 'frame' (a FrameEvent) as the camera hands each frame over, before the shm ring and the
 * clients get it. Listeners run synchronously in the frame path, as with any EventEmitter: keep
 * them short; one that throws is an uncaught exception.
 */
export class Streamer extends EventEmitter<StreamerEvents> {
  readonly config: StreamerConfig;
  readonly log: Logger;
  readonly metrics: StreamerMetrics;
  /** Resolves once the streamer has stopped, for whatever reason. */
  readonly done: Promise<StopResult>;
  private resolveDone!: (result: StopResult) => void;
  private runs: ChannelRun[] = [];
  private readonly peers = new Map<Peer, Fanout>();
  private join: ReturnType<typeof chooseJoin> | null = null;
  private camera: Camera | null = null;
  private server: WebSocketServer | null = null;
  private rtsp: Rtsp | null = null;
  private startedAt = 0;
  private lastFrameAt = 0;
  private stopping: Promise<void> | null = null;
  private released = false;

  constructor(config: Partial<StreamerConfig> = {}, options: StreamerOptions = {}) {
    super();
    this.config = resolveConfig(config);
    this.log =
      options.log ?? createLogger({ level: this.config.logLevel, json: this.config.logJson });
    const fanouts = () => this.runs.flatMap((r) => (r.fanout ? [r.fanout] : []));
    this.metrics = new StreamerMetrics({
      clients: () => this.clients,
      maxBufferedBytes: () => Math.max(0, ...fanouts().map((f) => f.maxBufferedBytes())),
      gopCacheBytes: () => fanouts().reduce((n, f) => n + f.cachedBytes, 0),
      uptimeS: () => (this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0),
      channelClients: () => this.runs.map((r, id) => [id, r.fanout?.size ?? 0]),
      cameraDrops: () => this.camera?.stats().droppedReasons ?? {},
    });
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  /** The bound port (after start). */
  get port(): number {
    return this.need(this.server, 'port').port;
  }

  get implementation(): Implementation {
    return this.need(this.server, 'implementation').implementation;
  }

  get cameraInfo(): CameraInfo {
    return this.need(this.camera, 'cameraInfo').info;
  }

  /** WebSocket clients of every channel. */
  get clients(): number {
    return this.peers.size;
  }

  /** The bound RTSP port, or null when the RTSP server is off (after start). */
  get rtspPort(): number | null {
    return this.rtsp?.port ?? null;
  }

  /** How mid-stream clients start, as chosen for this camera (after start). */
  get joinPolicy(): JoinPolicy {
    return this.need(this.join, 'joinPolicy').policy;
  }

  /** The channels as configured (after start: with what the camera gives each). */
  get channels(): readonly Channel[] {
    return this.runs.map((r) => r.spec);
  }

  /**
   * Opens the camera, the shm rings and the server; on any failure closes what it opened,
   * settles `done` with `{ ok: false, reason: 'start failed: …' }` and rejects.
   */
  async start(): Promise<void> {
    const { config, log } = this;
    try {
      const startServer = await chooseServer(config.server, log);
      const viewer = loadViewer();
      if (!viewer.ok) log.warn('viewer unavailable; / answers 503', { reason: viewer.reason });
      const channels = resolveChannels(config.channels, {
        width: config.width,
        height: config.height,
        fps: config.fps,
        bitrateKbps: config.bitrateKbps,
        gop: config.gop,
      });
      this.camera = await openCamera(cameraOptions(config, channels));
      const camera = this.camera;
      this.join = chooseJoin(config.join, camera.info);
      const join = this.join.policy;
      this.runs = channels.map((spec, id) => ({
        spec,
        stream: camera.info.streams[id] ?? null,
        fanout: null,
        shm: null,
        ring: null,
        sps: null,
        metrics: this.metrics.channel(id),
        shmWarnedAt: 0,
        shmFailuresUnlogged: 0,
      }));
      const inactive = this.runs.filter((r) => r.stream === null).map((r) => r.spec.id);
      if (inactive.length > 0) {
        log.warn('channels inactive', {
          channels: inactive.join(','),
          why:
            camera.info.backend === 'file'
              ? 'a file: source replays its one recording as channel 0 only'
              : `the ${camera.info.backend} source gives ${camera.info.streams.length} stream(s)`,
        });
      }
      for (const run of this.runs) {
        if (run.stream === null || run.spec.format !== 'h264') continue;
        const id = run.spec.id;
        run.fanout = new Fanout({
          clientBufferBytes: config.clientBufferBytes,
          gopCacheBytes: config.gopCacheBytes,
          stallTimeoutMs: config.stallTimeoutMs,
          join,
          keyframeIntervalMs: config.keyframeIntervalMs,
          metrics: run.metrics,
          log,
          requestKeyframe: () => camera.requestKeyframe(id),
        });
      }
      camera.on('frame', (frame) => this.onFrame(frame));
      camera.on('error', (err) =>
        log.error('camera error', { code: err.code, error: err.message }),
      );
      camera.on('close', () => {
        // Only a running streamer stops on its own; a failed start() cleans up by itself.
        if (this.startedAt !== 0 && !this.stopping) {
          void this.shutdown({ ok: false, reason: 'camera closed' });
        }
      });
      if (config.shmName !== null) this.createRings(config.shmName);
      this.server = await startServer(config.host, config.port, this.handlers(viewer), {
        maxClientMessageBytes: config.maxClientMessageBytes,
        idleTimeoutS: config.idleTimeoutS,
        // Past our own bound a client only gets skipped frames, so twice the bound plus the
        // GOP sent at join is room enough; the implementation dropping one is counted too.
        maxBackpressureBytes: 2 * config.clientBufferBytes + config.gopCacheBytes,
      });
      this.rtsp = await startRtsp(config, {
        // Every channel that carries H.264 (raw ones have nothing to packetize).
        channels: this.runs.flatMap((run) =>
          run.fanout
            ? [
                {
                  id: run.spec.id,
                  fps: () => run.stream?.fps ?? camera.info.fps,
                  requestKeyframe: () => camera.requestKeyframe(run.spec.id),
                },
              ]
            : [],
        ),
        join,
        otherClients: () => this.clients,
        metrics: this.metrics,
        log,
      });
    } catch (err) {
      await this.release();
      this.resolveDone({ ok: false, reason: `start failed: ${(err as Error).message}` });
      throw err;
    }
    this.startedAt = Date.now();
    const info = this.camera.info;
    log.info('streamer started', {
      source: info.source,
      sourceReason: info.reason,
      encoder: info.encoder,
      resolution: `${info.width}x${info.height}`,
      fps: info.fps,
      bitrateKbps: info.bitrateKbps,
      gop: info.gop,
      ...(this.runs.length > 1 ? { channels: this.runs.map(describeRun).join(', ') } : {}),
      join: this.joinPolicy,
      joinReason: this.join?.reason,
      server: this.server.implementation,
      listen: `${config.host}:${this.server.port}`,
      ...(this.rtsp?.describe() ?? { rtsp: 'off' }),
      shm: config.shmName ?? 'none',
      shmGroup: config.shmGroup ?? 'none (mode 0600)',
      ...this.shmSize(),
      token: config.token === null ? 'none (anyone who can reach the port can watch)' : 'required',
      // V8's old + young generation limit, as Node's flags set it (bin/cam-streamer's).
      heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      version: VERSION,
    });
  }

  /** Closes clients (1001), the server, the camera and the shm rings (unlinked). */
  stop(reason = 'stopped'): Promise<void> {
    return this.shutdown({ ok: true, reason });
  }

  private shutdown(result: StopResult): Promise<void> {
    this.stopping ??= (async () => {
      (result.ok ? this.log.info : this.log.error)('streamer stopping', { reason: result.reason });
      for (const run of this.runs) run.fanout?.closeAll(1001, 'server shutting down');
      for (let waited = 0; this.clients > 0 && waited < CLOSE_GRACE_MS; waited += CLOSE_POLL_MS) {
        await new Promise((resolve) => setTimeout(resolve, CLOSE_POLL_MS));
      }
      await this.release();
      this.log.info('streamer stopped', { reason: result.reason });
      this.resolveDone(result);
    })();
    return this.stopping;
  }

  /** Closes what start() opened, once (a failed start and a later stop() both call it). */
  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.server?.close();
    await this.rtsp?.close();
    if (this.camera) {
      this.camera.removeAllListeners('frame');
      await this.camera.close();
    }
    for (const run of this.runs) run.shm?.close();
  }

  /**
   * One ring per active channel, NAME_chN, sized by planRings; channel 0's also under NAME, the
   * v1.0 name (a second name for the same segment: frames written once).
   */
  private createRings(shmName: string): void {
    const { defaultTotalBytes, defaultSlots } = shmLayout();
    const active = this.runs.filter((r) => r.stream !== null);
    const sizes = planRings(
      // Raw rings are sized for the pictures the camera actually gives.
      active.map((r) => ({
        ...r.spec,
        width: r.stream?.width ?? 0,
        height: r.stream?.height ?? 0,
      })),
      {
        totalBytes: this.config.shmBytes ?? defaultTotalBytes,
        slots: this.config.shmSlots ?? defaultSlots,
      },
      ringBytesFor,
    );
    active.forEach((run, i) => {
      const name = ringName(shmName, run.spec.id);
      run.shm = createShm(
        name,
        this.config,
        sizes[i] as RingSize,
        run.spec.id === 0 ? shmName : undefined,
      );
      run.ring = name;
      const stream = run.stream as StreamInfo;
      if (run.spec.format !== 'h264') {
        const raw = RAW_FORMATS[run.spec.format];
        run.shm.setStreamInfo({
          codec: raw.codec,
          width: stream.width,
          height: stream.height,
          fps: stream.fps,
          pixelFormat: raw.pixelFormat,
          stride: stream.width * raw.rowBytes,
        });
      }
    });
  }

  private handlers(viewer: ReturnType<typeof loadViewer>): ServerHandlers {
    const { config, log, metrics } = this;
    return {
      http: (req) =>
        route(req, {
          viewer,
          token: config.token,
          streamInfo: () => this.streamInfo(),
          channels: (request) => this.channelList(request),
          metrics: () => metrics.render(),
          unhealthy: () => this.unhealthy(),
          access: (request) => this.decide(request),
        }),
      upgrade: (req) => {
        const decision = this.decide(req);
        if (!decision.accept) {
          metrics.rejected.inc(1, String(decision.status));
          log.info('client refused', {
            address: req.address,
            status: decision.status,
            reason: decision.reason,
          });
        }
        return decision;
      },
      open: (peer: Peer, subscription: Subscription) => {
        const fanout = this.runs[subscription.channel]?.fanout;
        if (!fanout) {
          // decide() accepted only channels with a fan-out; nothing else reaches here.
          peer.close(1011, 'no such channel');
          return;
        }
        metrics.connections.inc();
        this.peers.set(peer, fanout);
        fanout.add(peer, subscription.framing);
        log.info('client connected', {
          address: peer.address,
          clients: this.clients,
          channel: subscription.channel,
          framing: subscription.framing,
        });
      },
      message: (peer, data, isBinary) => {
        if (!isKeyframeRequest(data, isBinary)) {
          metrics.clientMessages.inc();
          return;
        }
        metrics.clientKeyframeAsks.inc();
        // A source that cannot make an IDR on request (a replayed file skips ahead for every
        // viewer) is not asked; the player then waits for the next natural keyframe.
        if (this.cameraInfo.keyframeOnRequest) this.peers.get(peer)?.wantKeyframe();
      },
      close: (peer, code) => {
        const fanout = this.peers.get(peer);
        if (!fanout) return;
        this.peers.delete(peer);
        const reason = fanout.remove(peer, code);
        log.info('client disconnected', {
          address: peer.address,
          code,
          reason,
          clients: this.clients,
        });
      },
    };
  }

  /**
   * Access (origin, token, cap), then which channel: none = channel 0 in the v1.0 framing. Also
   * what a page asking /api/access why its upgrade failed is told.
   */
  private decide(req: Request): UpgradeDecision {
    if (this.stopping) return { accept: false, status: 503, reason: 'shutting down' };
    const decision = decideUpgrade(req, this.config, this.clients + (this.rtsp?.clients ?? 0));
    if (!decision.accept) return decision;
    const asked = req.query.get('channel');
    if (asked === null) return decision;
    const id = /^\d{1,3}$/.test(asked) ? Number(asked) : -1;
    const run = this.runs[id];
    if (!run) {
      return {
        accept: false,
        status: 400,
        reason: `unknown channel ${JSON.stringify(asked)}: this streamer has channels 0..${this.runs.length - 1} (GET /api/channels lists them)`,
      };
    }
    if (run.stream === null) {
      return {
        accept: false,
        status: 400,
        reason: `channel ${id} is inactive: the ${this.cameraInfo.backend} source gives channel 0 only`,
      };
    }
    if (!run.fanout) {
      return {
        accept: false,
        status: 400,
        reason: `channel ${id} carries raw ${run.spec.format} pixels, not H.264: read them from the shared-memory ring ${run.ring ?? '(--shm-name none: no ring)'}`,
      };
    }
    return { ...decision, subscription: { channel: id, framing: 'v1.1' } };
  }

  private onFrame(frame: EncodedFrame): void {
    const run = this.runs[frame.stream];
    if (!run) return; // the camera gives no stream we did not ask for
    // First, so an observer's clock reads the hand-over; no event object while nobody listens.
    if (this.listenerCount('frame') > 0) {
      const { sequence, timestampMs, keyframe, data } = frame;
      this.emit('frame', {
        channel: frame.stream,
        sequence,
        timestampMs,
        keyframe,
        bytes: data.length,
      });
    }
    const { metrics } = run;
    const arrived = Date.now();
    this.lastFrameAt = arrived;
    metrics.frames.inc();
    this.metrics.frameAge.observe(Math.max(0, arrived - frame.timestampMs) / 1000);
    if (frame.keyframe) metrics.keyframes.inc();
    const sets = run.fanout && frame.keyframe ? this.learnStream(run, frame.data) : undefined;
    this.publishShm(run, frame, sets);
    if (!run.fanout) return;
    const t0 = performance.now();
    // Framed once for both generations, in place in the room the camera left around the AU (no
    // copy): v1.1 clients get [channel id][AU][ms], v1.0 clients the same bytes from offset 1.
    const au = frame.data;
    const message = encodeChannelMessageInPlace(
      frame.wire,
      run.spec.id,
      au.length,
      frame.timestampMs,
    );
    metrics.frameBytes.inc(message.length - CHANNEL_ID_BYTES);
    run.fanout.broadcast(message, frame.keyframe);
    this.metrics.fanoutTime.observe((performance.now() - t0) / 1000);
    this.rtsp?.publish(run.spec.id, frame);
  }

  /**
   * Reads size and codec string from the SPS of an IDR; tells shm readers when it changes.
   * Returns the IDR's parameter sets for the ring (undefined when it lacks a pair).
   */
  private learnStream(run: ChannelRun, accessUnit: Uint8Array): ParameterSets | undefined {
    let sps: SpsInfo;
    let found: { sps?: Uint8Array; pps?: Uint8Array };
    try {
      found = findParameterSets(accessUnit);
      if (!found.sps) {
        this.log.warn('keyframe without SPS', { channel: run.spec.id, bytes: accessUnit.length });
        return undefined;
      }
      sps = parseSps(found.sps);
    } catch (err) {
      this.log.warn('keyframe with an unreadable SPS', {
        channel: run.spec.id,
        error: (err as Error).message,
      });
      return undefined;
    }
    const sets = found.pps ? { sps: found.sps, pps: found.pps } : undefined;
    const previous = run.sps;
    run.sps = sps;
    if (
      previous?.width === sps.width &&
      previous.height === sps.height &&
      previous.codecString === sps.codecString
    ) {
      return sets;
    }
    this.log.info('stream', {
      ...(this.runs.length > 1 ? { channel: run.spec.id } : {}),
      codec: sps.codecString,
      resolution: `${sps.width}x${sps.height}`,
    });
    run.shm?.setStreamInfo({
      codec: sps.codecString,
      width: sps.width,
      height: sps.height,
      fps: run.stream?.fps ?? this.cameraInfo.fps,
    });
    return sets;
  }

  private publishShm(run: ChannelRun, frame: EncodedFrame, sets: ParameterSets | undefined): void {
    if (!run.shm) return;
    try {
      run.shm.publish(frame.data, frame.timestampMs, frame.keyframe, sets);
      run.metrics.shmPublished.inc();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'UNKNOWN';
      run.metrics.shmErrors.inc(1, code);
      // Every failure is counted in /metrics; the log gets at most one line per 10 s per ring,
      // so a ring too small for the stream cannot flood it with a line per frame.
      run.shmFailuresUnlogged += 1;
      const now = Date.now();
      if (now - run.shmWarnedAt < SHM_WARN_INTERVAL_MS) return;
      this.log.warn('shm publish failed', {
        code,
        bytes: frame.data.length,
        error: (err as Error).message,
        failures: run.shmFailuresUnlogged,
        ring: run.ring,
      });
      run.shmWarnedAt = now;
      run.shmFailuresUnlogged = 0;
    }
  }

  private unhealthy(): string | null {
    if (this.stopping) return 'shutting down';
    if (this.lastFrameAt === 0) return 'no frame from the camera yet';
    const silentMs = Date.now() - this.lastFrameAt;
    const limitMs = Math.max(2000, 3000 / this.cameraInfo.fps);
    return silentMs > limitMs ? `no frame from the camera for ${silentMs} ms` : null;
  }

  private streamInfo(): object {
    const info = this.cameraInfo;
    const run0 = this.runs[0];
    return {
      source: info.source,
      backend: info.backend,
      sourceReason: info.reason,
      encoder: info.encoder,
      width: run0?.sps?.width ?? info.width,
      height: run0?.sps?.height ?? info.height,
      fps: info.fps,
      bitrateKbps: info.bitrateKbps,
      gop: info.gop,
      codec: run0?.sps?.codecString ?? null,
      join: this.join?.policy,
      clients: this.clients,
      maxClients: this.config.maxClients,
      server: this.implementation,
      rtspPort: this.rtspPort,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      shm: this.config.shmName,
      ...this.shmSize(),
      tokenRequired: this.config.token !== null,
      version: VERSION,
      channels: this.runs.map((run) => ({
        id: run.spec.id,
        active: run.stream !== null,
        format: run.spec.format,
        width: run.stream?.width ?? run.spec.width,
        height: run.stream?.height ?? run.spec.height,
        fps: run.stream?.fps ?? run.spec.fps,
        bitrateKbps: run.stream?.bitrateKbps ?? run.spec.bitrateKbps,
        gop: run.stream?.gop ?? run.spec.gop,
        codec: run.fanout ? (run.sps?.codecString ?? null) : run.spec.format,
        clients: run.fanout?.size ?? 0,
        ring: run.ring,
        ...ringSize(run.shm),
      })),
    };
  }

  /**
   * GET /api/channels in the seed v1.1 shape (id, name, resolution, fps, bitrate, codec,
   * use_case, websocket_url, shm_path, active; default_channel), plus what else is useful.
   */
  private channelList(req: Request): object {
    const host = req.header('host') ?? `device-ip:${this.server?.port ?? this.config.port}`;
    return {
      channels: this.runs.map((run) => {
        const { id, format } = run.spec;
        const width = run.stream?.width ?? run.spec.width;
        const height = run.stream?.height ?? run.spec.height;
        const fps = run.stream?.fps ?? run.spec.fps;
        const kbps = run.stream?.bitrateKbps ?? run.spec.bitrateKbps;
        const h264 = format === 'h264';
        return {
          id,
          name: `${h264 ? 'H.264' : `raw ${format.toUpperCase()}`} ${width}x${height}`,
          resolution: `${width}x${height}`,
          fps,
          bitrate: h264 ? (kbps > 0 ? `${kbps} kbps` : 'camera') : 'uncompressed',
          codec: h264 ? 'H.264' : RAW_FORMATS[format].name,
          use_case: h264
            ? id === 0
              ? 'full stream; what v1.0 clients (no ?channel) and /video_stream get'
              : 'viewing'
            : 'ML inference: raw pixels in shared memory, nothing to decode',
          websocket_url: run.fanout ? `ws://${host}/?channel=${id}` : null,
          shm_path: run.ring,
          active: run.stream !== null,
          format,
          width,
          height,
          bitrate_kbps: kbps,
          gop: run.stream?.gop ?? run.spec.gop,
          clients: run.fanout?.size ?? 0,
          ...(h264 ? {} : { pixel_format: RAW_FORMATS[format].pixelFormat }),
        };
      }),
      default_channel: 0,
    };
  }

  /** Channel 0's ring as created (bytes rounded up to a page); a bigger frame is not written. */
  private shmSize(): { shmBytes?: number; shmSlots?: number; shmSlotBytes?: number } {
    return ringSize(this.runs[0]?.shm ?? null);
  }

  private need<T>(value: T | null, what: string): T {
    if (value === null) throw new Error(`streamer ${what}: not started`);
    return value;
  }
}

function ringSize(shm: ShmWriter | null): {
  shmBytes?: number;
  shmSlots?: number;
  shmSlotBytes?: number;
} {
  if (!shm) return {};
  const { totalBytes, slots, slotBytes } = shm.stats();
  return { shmBytes: totalBytes, shmSlots: slots, shmSlotBytes: slotBytes };
}

function describeRun(run: ChannelRun): string {
  const s = run.stream;
  if (!s) return `${run.spec.id}: inactive`;
  const what = run.spec.format === 'h264' ? `${s.bitrateKbps} kbps` : run.spec.format;
  return `${run.spec.id}: ${s.width}x${s.height}@${s.fps} ${what}`;
}

/** What the camera is asked for: today's single stream, or one stream per channel. */
function cameraOptions(config: StreamerConfig, channels: Channel[]): CameraOptions {
  const base = { source: config.source, bitrateKbps: config.bitrateKbps, gop: config.gop };
  const [first] = channels;
  if (config.channels === undefined && first) {
    return {
      ...base,
      width: first.width,
      height: first.height,
      // Only when set: without it a file replays at its own rate. camera.info.fps says which.
      ...(first.fps === 0 ? {} : { fps: first.fps }),
    };
  }
  return {
    ...base,
    streams: channels.map((c) => ({
      width: c.width,
      height: c.height,
      fps: c.fps,
      format: c.format,
      ...(c.format === 'h264' ? { bitrateKbps: c.bitrateKbps, gop: c.gop } : {}),
    })),
  };
}

/** The flag(s) to blame for each ShmWriter.create option the streamer sets. */
const SHM_OPTION_FLAGS: Record<string, string> = {
  name: 'shm-name',
  group: 'shm-group',
  // The bytes are refused only as too few for the slots: either flag can fix it.
  totalBytes: 'shm-bytes, --shm-slots',
  slots: 'shm-slots',
};

/** A ring: mode 0600, or 0640 owned by `group` so its members may read it. */
function createShm(
  name: string,
  config: Pick<StreamerConfig, 'shmGroup'>,
  size: RingSize,
  alias: string | undefined,
): ShmWriter {
  const { shmGroup: group } = config;
  try {
    return ShmWriter.create(name, {
      ...(group === null ? {} : { group }),
      totalBytes: size.totalBytes,
      slots: size.slots,
      ...(alias === undefined ? {} : { alias }),
    });
  } catch (err) {
    // What a validated config can still get wrong: an unknown group, or slots that do not fit
    // in the bytes. The CLI names the flag from `parameter`, here the option @cam/shm blames.
    const option = (err as ShmError).option;
    const parameter = option === undefined ? undefined : SHM_OPTION_FLAGS[option];
    if (parameter !== undefined) throw Object.assign(err as ShmError, { parameter });
    throw err;
  }
}

/** A streamer, not yet started; call start(). */
export function createStreamer(
  config: Partial<StreamerConfig> = {},
  options: StreamerOptions = {},
): Streamer {
  return new Streamer(config, options);
}

/** Creates and starts a streamer. */
export async function startStreamer(
  config: Partial<StreamerConfig> = {},
  options: StreamerOptions = {},
): Promise<Streamer> {
  const streamer = createStreamer(config, options);
  await streamer.start();
  return streamer;
}
