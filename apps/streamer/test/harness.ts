// Test harness: a Fanout behind a real server (uWebSockets.js or ws) on 127.0.0.1:0, fed with
// real H.264 access units. No camera: these tests drive the frame timing themselves.
import { encodeChannelMessage } from '@cam/protocol';
import { nativeSend } from '@cam/send';
import { DEFAULT_CONFIG, type ServerChoice } from '../src/config';
import { Fanout } from '../src/fanout';
import type { JoinPolicy } from '../src/join';
import { createLogger } from '../src/log';
import { StreamerMetrics } from '../src/metrics';
import type { StartServer, WebSocketServer } from '../src/server';
import { loadUwsServer } from '../src/server-uws';
import { wsServer } from '../src/server-ws';
import type { AccessUnit } from './h264';

export const IMPLEMENTATIONS = ['uws', 'ws'] as const satisfies readonly ServerChoice[];

/**
 * The servers a harness runs: 'ws' writes idle sockets with @cam/send's native send (which must
 * load here), 'ws-stream' is the same server where that addon does not load: every frame
 * through the socket's stream.
 */
export type Implementation = (typeof IMPLEMENTATIONS)[number] | 'ws-stream';

export async function serverFor(impl: Implementation): Promise<StartServer> {
  if (impl === 'uws') return loadUwsServer();
  return wsServer(impl === 'ws' ? nativeSend().send : null);
}

export interface Harness {
  fanout: Fanout;
  metrics: StreamerMetrics;
  server: WebSocketServer;
  url: string;
  logs: string[];
  keyframeRequests: number;
  /** Frames and sends one access unit, stamped now; returns the message sent. */
  send(unit: AccessUnit): Uint8Array;
  close(): Promise<void>;
}

export async function startHarness(
  impl: Implementation,
  options: {
    clientBufferBytes?: number;
    gopCacheBytes?: number;
    stallTimeoutMs?: number;
    idleTimeoutS?: number;
    join?: JoinPolicy;
    keyframeIntervalMs?: number;
  } = {},
): Promise<Harness> {
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) });
  const state = { fanout: undefined as unknown as Fanout };
  const metrics = new StreamerMetrics({
    clients: () => state.fanout.size,
    maxBufferedBytes: () => state.fanout.maxBufferedBytes(),
    gopCacheBytes: () => state.fanout.cachedBytes,
    uptimeS: () => 0,
  });
  const clientBufferBytes = options.clientBufferBytes ?? DEFAULT_CONFIG.clientBufferBytes;
  const gopCacheBytes = options.gopCacheBytes ?? DEFAULT_CONFIG.gopCacheBytes;
  const harness = { logs, metrics, keyframeRequests: 0 } as Harness;
  const fanout = new Fanout({
    clientBufferBytes,
    gopCacheBytes,
    stallTimeoutMs: options.stallTimeoutMs ?? DEFAULT_CONFIG.stallTimeoutMs,
    join: options.join ?? 'gop',
    keyframeIntervalMs: options.keyframeIntervalMs ?? DEFAULT_CONFIG.keyframeIntervalMs,
    metrics: metrics.channel(0),
    log,
    requestKeyframe: () => {
      harness.keyframeRequests++;
    },
  });
  state.fanout = fanout;
  const start = await serverFor(impl);
  const server = await start(
    '127.0.0.1',
    0,
    {
      http: () => ({ status: 404, headers: {}, body: '' }),
      upgrade: () => ({ accept: true }),
      open: (peer, subscription) => fanout.add(peer, subscription.framing),
      message: () => metrics.clientMessages.inc(), // this harness has no keyframe requests
      close: (peer, code) => fanout.remove(peer, code),
    },
    {
      maxClientMessageBytes: DEFAULT_CONFIG.maxClientMessageBytes,
      idleTimeoutS: options.idleTimeoutS ?? DEFAULT_CONFIG.idleTimeoutS,
      maxBackpressureBytes: 2 * clientBufferBytes + gopCacheBytes,
    },
  );
  return Object.assign(harness, {
    fanout,
    server,
    url: `ws://127.0.0.1:${server.port}/`,
    /** Broadcasts one AU on channel 0; returns its v1.0 message (what a v1.0 client gets). */
    send(unit: AccessUnit) {
      const message = encodeChannelMessage(0, unit.data, Date.now());
      fanout.broadcast(message, unit.keyframe);
      return message.subarray(1);
    },
    async close() {
      fanout.closeAll(1001, 'test over');
      await server.close();
    },
  });
}

export const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
