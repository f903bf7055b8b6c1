// The RTSP side of the streamer, as streamer.ts sees it: one call to start it from the config,
// publish() per frame, close(). Inside: each H.264 channel's packetizer and clients
// (channel.ts), the server on --rtsp-port (server.ts) and the --rtsp-push client (push.ts).
import type { StreamerConfig } from '../config';
import type { JoinPolicy } from '../join';
import type { Logger } from '../log';
import type { StreamerMetrics } from '../metrics';
import { type ChannelFrame, RtspChannel } from './channel';
import { RtspMetrics } from './metrics';
import { parsePushUrl, RtspPush, redacted } from './push';
import { RtspServer } from './server';

/** A channel of the camera that carries H.264. */
export interface RtspChannelSource {
  id: number;
  fps: () => number;
  requestKeyframe: () => void;
}

export interface RtspDeps {
  channels: RtspChannelSource[];
  join: JoinPolicy;
  /** WebSocket clients now: the connection cap counts both protocols. */
  otherClients: () => number;
  metrics: StreamerMetrics;
  log: Logger;
}

export interface Rtsp {
  /** One access unit of channel `id` (nothing happens for a channel RTSP does not serve). */
  publish(id: number, frame: ChannelFrame): void;
  /** RTSP connections open now. */
  readonly clients: number;
  /** The bound port, or null when only pushing. */
  readonly port: number | null;
  /** For the start log and /api/stream. */
  describe(): Record<string, string | number | null>;
  close(): Promise<void>;
}

/** Starts what the config asks for (server, push, both), or returns null for neither. */
export async function startRtsp(config: StreamerConfig, deps: RtspDeps): Promise<Rtsp | null> {
  if (config.rtspPort === null && config.rtspPush === null) return null;
  const { log } = deps;
  const metrics = new RtspMetrics();
  const channels = new Map(
    deps.channels.map((source) => [
      source.id,
      new RtspChannel({
        id: source.id,
        mtu: config.rtspMtu,
        fps: source.fps,
        requestKeyframe: source.requestKeyframe,
        join: deps.join,
        clientBufferBytes: config.clientBufferBytes,
        gopCacheBytes: config.gopCacheBytes,
        stallTimeoutMs: config.stallTimeoutMs,
        keyframeIntervalMs: config.keyframeIntervalMs,
        metrics,
        log,
      }),
    ]),
  );
  const paths = [...channels.keys()].map((id) => `/ch${id}`);
  if (channels.has(0)) paths.push('/live');
  const server =
    config.rtspPort === null
      ? null
      : await RtspServer.listen({
          host: config.host,
          port: config.rtspPort,
          token: config.token,
          basicAuth: config.rtspBasicAuth,
          sessionTimeoutS: config.idleTimeoutS,
          maxClients: config.maxClients,
          otherClients: deps.otherClients,
          channel: (id) => channels.get(id),
          metrics,
          log,
        });
  const pushUrl = config.rtspPush === null ? null : parsePushUrl(config.rtspPush);
  const channel0 = channels.get(0);
  const push = pushUrl && channel0 ? new RtspPush(pushUrl, channel0, metrics, log) : null;
  push?.start();
  deps.metrics.register(
    ...metrics.all({
      clients: () => server?.clients ?? 0,
      playing: () => server?.playing ?? 0,
      pushing: () => (push?.publishing ? 1 : 0),
    }),
  );
  return {
    publish: (id, frame) => channels.get(id)?.publish(frame),
    get clients() {
      return server?.clients ?? 0;
    },
    get port() {
      return server?.port ?? null;
    },
    describe: () => ({
      rtsp: server ? `${config.host}:${server.port} (${paths.join(', ')})` : 'off',
      rtspAuth:
        config.token === null ? 'none' : config.rtspBasicAuth ? 'digest or basic' : 'digest',
      rtspMtu: config.rtspMtu,
      rtspPush: pushUrl ? redacted(pushUrl) : null,
    }),
    async close() {
      push?.stop();
      await server?.close();
    },
  };
}
