// The composition: camera → shared-memory ring (local readers) and → WebSocket fan-out
// (every client gets the same framed bytes). Frames are framed once, here.
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { encodeMessage, findParameterSets, parseSps, type SpsInfo } from '@cam/protocol';
import { type Camera, type CameraInfo, type EncodedFrame, openCamera } from '@cam/sdk-native';
import { type ShmError, ShmWriter } from '@cam/shm';
import { decideUpgrade } from './access';
import { resolveChannels } from './channels';
import { chooseServer } from './choose-server';
import { ConfigError, resolveConfig, type StreamerConfig } from './config';
import { Fanout, type Peer } from './fanout';
import { chooseJoin, type JoinPolicy } from './join';
import { createLogger, type Logger } from './log';
import { StreamerMetrics } from './metrics';
import { route } from './routes';
import type { Implementation, ServerHandlers, WebSocketServer } from './server';
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
  /** The camera's capture counter; a gap means the camera dropped frames. */
  sequence: number;
  /** Capture wall clock, ms since the Unix epoch: the timestamp clients read in the trailer. */
  timestampMs: number;
  keyframe: boolean;
  /** Bytes of the H.264 access unit; the WebSocket message is 8 more (the trailer). */
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
  private fanout: Fanout | null = null;
  private join: ReturnType<typeof chooseJoin> | null = null;
  private camera: Camera | null = null;
  private shm: ShmWriter | null = null;
  private server: WebSocketServer | null = null;
  private sps: SpsInfo | null = null;
  private startedAt = 0;
  private lastFrameAt = 0;
  private shmWarnedAt = 0;
  private shmFailuresUnlogged = 0;
  private stopping: Promise<void> | null = null;
  private released = false;

  constructor(config: Partial<StreamerConfig> = {}, options: StreamerOptions = {}) {
    super();
    this.config = resolveConfig(config);
    this.log =
      options.log ?? createLogger({ level: this.config.logLevel, json: this.config.logJson });
    this.metrics = new StreamerMetrics({
      clients: () => this.clients,
      maxBufferedBytes: () => this.fanout?.maxBufferedBytes() ?? 0,
      gopCacheBytes: () => this.fanout?.cachedBytes ?? 0,
      uptimeS: () => (this.startedAt ? (Date.now() - this.startedAt) / 1000 : 0),
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

  get clients(): number {
    return this.fanout?.size ?? 0;
  }

  /** How mid-stream clients start, as chosen for this camera (after start). */
  get joinPolicy(): JoinPolicy {
    return this.need(this.join, 'joinPolicy').policy;
  }

  /** Opens the camera, the shm ring and the server; on any failure closes what it opened. */
  async start(): Promise<void> {
    const { config, log } = this;
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
    const [channel0] = channels;
    if (!channel0 || channels.length > 1) {
      throw new ConfigError('--channels: more than one channel is not served yet; give one');
    }
    try {
      this.camera = await openCamera({
        source: config.source,
        width: channel0.width,
        height: channel0.height,
        // Only when set: without it a file replays at its own rate. camera.info.fps says which.
        ...(channel0.fps === 0 ? {} : { fps: channel0.fps }),
        bitrateKbps: channel0.bitrateKbps,
        gop: channel0.gop,
      });
      const camera = this.camera;
      this.join = chooseJoin(config.join, camera.info);
      const fanout = new Fanout({
        clientBufferBytes: config.clientBufferBytes,
        gopCacheBytes: config.gopCacheBytes,
        stallTimeoutMs: config.stallTimeoutMs,
        join: this.join.policy,
        keyframeIntervalMs: config.keyframeIntervalMs,
        metrics: this.metrics,
        log,
        requestKeyframe: () => camera.requestKeyframe(),
      });
      this.fanout = fanout;
      camera.on('frame', (frame) => this.onFrame(fanout, frame));
      camera.on('error', (err) =>
        log.error('camera error', { code: err.code, error: err.message }),
      );
      camera.on('close', () => {
        // Only a running streamer stops on its own; a failed start() cleans up by itself.
        if (this.startedAt !== 0 && !this.stopping) {
          void this.shutdown({ ok: false, reason: 'camera closed' });
        }
      });
      if (config.shmName !== null) this.shm = createShm(config.shmName, config);
      this.server = await startServer(config.host, config.port, this.handlers(viewer, fanout), {
        maxClientMessageBytes: config.maxClientMessageBytes,
        idleTimeoutS: config.idleTimeoutS,
        // Past our own bound a client only gets skipped frames, so twice the bound plus the
        // GOP sent at join is room enough; the implementation dropping one is counted too.
        maxBackpressureBytes: 2 * config.clientBufferBytes + config.gopCacheBytes,
      });
    } catch (err) {
      await this.release();
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
      join: this.joinPolicy,
      joinReason: this.join?.reason,
      server: this.server.implementation,
      listen: `${config.host}:${this.server.port}`,
      shm: config.shmName ?? 'none',
      shmGroup: config.shmGroup ?? 'none (mode 0600)',
      ...this.shmSize(),
      token: config.token === null ? 'none (anyone who can reach the port can watch)' : 'required',
      version: VERSION,
    });
  }

  /** Closes clients (1001), the server, the camera and the shm ring (unlinked). */
  stop(reason = 'stopped'): Promise<void> {
    return this.shutdown({ ok: true, reason });
  }

  private shutdown(result: StopResult): Promise<void> {
    this.stopping ??= (async () => {
      (result.ok ? this.log.info : this.log.error)('streamer stopping', { reason: result.reason });
      this.fanout?.closeAll(1001, 'server shutting down');
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
    if (this.camera) {
      this.camera.removeAllListeners('frame');
      await this.camera.close();
    }
    this.shm?.close();
  }

  private handlers(viewer: ReturnType<typeof loadViewer>, fanout: Fanout): ServerHandlers {
    const { config, log, metrics } = this;
    return {
      http: (req) =>
        route(req, {
          viewer,
          token: config.token,
          streamInfo: () => this.streamInfo(),
          metrics: () => metrics.render(),
          unhealthy: () => this.unhealthy(),
        }),
      upgrade: (req) => {
        const decision = this.stopping
          ? ({ accept: false, status: 503, reason: 'shutting down' } as const)
          : decideUpgrade(req, config, fanout.size);
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
      open: (peer: Peer) => {
        metrics.connections.inc();
        fanout.add(peer);
        log.info('client connected', { address: peer.address, clients: fanout.size });
      },
      message: () => metrics.clientMessages.inc(),
      close: (peer, code) => {
        const reason = fanout.remove(peer, code);
        log.info('client disconnected', {
          address: peer.address,
          code,
          reason,
          clients: fanout.size,
        });
      },
    };
  }

  private onFrame(fanout: Fanout, frame: EncodedFrame): void {
    // First, so an observer's clock reads the hand-over; no event object while nobody listens.
    if (this.listenerCount('frame') > 0) {
      const { sequence, timestampMs, keyframe, data } = frame;
      this.emit('frame', { sequence, timestampMs, keyframe, bytes: data.length });
    }
    const { metrics } = this;
    const arrived = Date.now();
    this.lastFrameAt = arrived;
    metrics.frames.inc();
    metrics.frameAge.observe(Math.max(0, arrived - frame.timestampMs) / 1000);
    if (frame.keyframe) {
      metrics.keyframes.inc();
      this.learnStream(frame.data);
    }
    this.publishShm(frame);
    const t0 = performance.now();
    const message = encodeMessage(frame.data, frame.timestampMs);
    metrics.frameBytes.inc(message.length);
    fanout.broadcast(message, frame.keyframe);
    metrics.fanoutTime.observe((performance.now() - t0) / 1000);
  }

  /** Reads size and codec string from the SPS of each IDR; tells shm readers when it changes. */
  private learnStream(accessUnit: Uint8Array): void {
    let sps: SpsInfo;
    try {
      const found = findParameterSets(accessUnit).sps;
      if (!found) {
        this.log.warn('keyframe without SPS', { bytes: accessUnit.length });
        return;
      }
      sps = parseSps(found);
    } catch (err) {
      this.log.warn('keyframe with an unreadable SPS', { error: (err as Error).message });
      return;
    }
    const previous = this.sps;
    this.sps = sps;
    if (
      previous?.width === sps.width &&
      previous.height === sps.height &&
      previous.codecString === sps.codecString
    ) {
      return;
    }
    this.log.info('stream', {
      codec: sps.codecString,
      resolution: `${sps.width}x${sps.height}`,
    });
    this.shm?.setStreamInfo({
      codec: sps.codecString,
      width: sps.width,
      height: sps.height,
      fps: this.cameraInfo.fps,
    });
  }

  private publishShm(frame: EncodedFrame): void {
    if (!this.shm) return;
    try {
      this.shm.publish(frame.data, frame.timestampMs, frame.keyframe);
      this.metrics.shmPublished.inc();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'UNKNOWN';
      this.metrics.shmErrors.inc(1, code);
      // Every failure is counted in /metrics; the log gets at most one line per 10 s, so a
      // ring too small for the stream cannot flood it with a line per frame.
      this.shmFailuresUnlogged += 1;
      const now = Date.now();
      if (now - this.shmWarnedAt < SHM_WARN_INTERVAL_MS) return;
      this.log.warn('shm publish failed', {
        code,
        bytes: frame.data.length,
        error: (err as Error).message,
        failures: this.shmFailuresUnlogged,
      });
      this.shmWarnedAt = now;
      this.shmFailuresUnlogged = 0;
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
    return {
      source: info.source,
      backend: info.backend,
      sourceReason: info.reason,
      encoder: info.encoder,
      width: this.sps?.width ?? info.width,
      height: this.sps?.height ?? info.height,
      fps: info.fps,
      bitrateKbps: info.bitrateKbps,
      gop: info.gop,
      codec: this.sps?.codecString ?? null,
      join: this.join?.policy,
      clients: this.clients,
      maxClients: this.config.maxClients,
      server: this.implementation,
      uptimeS: Math.round((Date.now() - this.startedAt) / 1000),
      shm: this.config.shmName,
      ...this.shmSize(),
      tokenRequired: this.config.token !== null,
      version: VERSION,
    };
  }

  /** The ring as created (bytes rounded up to a page); a frame over shmSlotBytes is not written. */
  private shmSize(): { shmBytes?: number; shmSlots?: number; shmSlotBytes?: number } {
    if (!this.shm) return {};
    const { totalBytes, slots, slotBytes } = this.shm.stats();
    return { shmBytes: totalBytes, shmSlots: slots, shmSlotBytes: slotBytes };
  }

  private need<T>(value: T | null, what: string): T {
    if (value === null) throw new Error(`streamer ${what}: not started`);
    return value;
  }
}

/** The flag(s) to blame for each ShmWriter.create option the streamer sets. */
const SHM_OPTION_FLAGS: Record<string, string> = {
  name: 'shm-name',
  group: 'shm-group',
  // The bytes are refused only as too few for the slots: either flag can fix it.
  totalBytes: 'shm-bytes, --shm-slots',
  slots: 'shm-slots',
};

/** The ring: mode 0600, or 0640 owned by `group` so its members may read it. */
function createShm(
  name: string,
  config: Pick<StreamerConfig, 'shmGroup' | 'shmBytes' | 'shmSlots'>,
): ShmWriter {
  const { shmGroup: group, shmBytes: totalBytes, shmSlots: slots } = config;
  try {
    return ShmWriter.create(name, {
      ...(group === null ? {} : { group }),
      ...(totalBytes === undefined ? {} : { totalBytes }),
      ...(slots === undefined ? {} : { slots }),
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
