// The WebSocket + HTTP server on ws and node:http: pure JavaScript, for platforms without a
// uWebSockets.js binary (riscv64, musl). Same handlers, limits and behaviour as server-uws.ts.
import { createServer, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { nativeSend, type SendNow } from '@cam/send';
import { WebSocket, WebSocketServer as WsServer } from 'ws';
import { type Message, type Peer, Sent } from './fanout';
import {
  DEFAULT_SUBSCRIPTION,
  plainAddress,
  type Reply,
  type Request,
  type ServerHandlers,
  type ServerLimits,
  STATUS_TEXT,
  type StartServer,
  type WebSocketServer,
} from './server';

/**
 * Reads the request as uWebSockets.js does: the raw path before '?', not normalised. Null for a
 * target that is not a path (absolute form `http://…`, `*`): uWebSockets.js refuses those too.
 * No URL parsing: `new URL()` throws on targets like `//[` and one request must not end the process.
 */
function readRequest(req: IncomingMessage): Request | null {
  const target = req.url ?? '';
  if (!target.startsWith('/')) return null;
  const q = target.indexOf('?');
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: q < 0 ? target : target.slice(0, q),
    query: new URLSearchParams(q < 0 ? '' : target.slice(q + 1)),
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : value || undefined;
    },
    address: plainAddress(req.socket.remoteAddress ?? ''),
  };
}

/** Bytes of the RFC 6455 §5.2 header of an unmasked server frame with `length` payload bytes. */
export function wsHeaderBytes(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10;
}

/**
 * The RFC 6455 §5.2 header of a final, unmasked binary frame of `length` payload bytes, written
 * at `at` of `into` (wsHeaderBytes(length) bytes).
 */
function writeWsHeader(into: Buffer, at: number, length: number): void {
  into[at] = 0x82; // FIN, opcode 2 (binary)
  const bytes = wsHeaderBytes(length);
  if (bytes === 2) {
    into[at + 1] = length;
  } else if (bytes === 4) {
    into[at + 1] = 126;
    into.writeUInt16BE(length, at + 2);
  } else {
    into[at + 1] = 127;
    into.writeUInt32BE(Math.floor(length / 0x1_0000_0000), at + 2);
    into.writeUInt32BE(length >>> 0, at + 6);
  }
}

/** The header of the frame carrying `length` bytes, alone. */
export function wsHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(wsHeaderBytes(length));
  writeWsHeader(header, 0, length);
  return header;
}

/** The message as one final, unmasked binary WebSocket frame, header and payload in one buffer. */
export function wsFrame(bytes: Uint8Array): Buffer {
  const header = wsHeaderBytes(bytes.length);
  const frame = Buffer.allocUnsafe(header + bytes.length);
  writeWsHeader(frame, 0, bytes.length);
  frame.set(bytes, header);
  return frame;
}

/**
 * Frames each message once for all sockets (once per framing): every peer of a broadcast asks
 * for the same Message in turn, so one entry is the whole cache. header() is what a native send
 * puts in front of the message itself (no copy of it); frame() is header and message copied
 * into one buffer, made only when a socket needs its stream (a queued or short write): a write
 * still queued for a slow socket must never share memory with the camera's frames, which the
 * camera reuses.
 */
class FrameCache {
  private message: Message | null = null;
  private readonly headers: [Buffer | null, Buffer | null] = [null, null];
  private readonly frames: [Buffer | null, Buffer | null] = [null, null];

  header(message: Message, v11: boolean): Buffer {
    const i = this.entry(message, v11);
    this.headers[i] ??= wsHeader(bodyOf(message, v11).length);
    return this.headers[i];
  }

  frame(message: Message, v11: boolean): Buffer {
    const i = this.entry(message, v11);
    this.frames[i] ??= wsFrame(bodyOf(message, v11));
    return this.frames[i];
  }

  /** The slot of the framing, after forgetting a previous message's. */
  private entry(message: Message, v11: boolean): 0 | 1 {
    if (message !== this.message) {
      this.message = message;
      this.headers.fill(null);
      this.frames.fill(null);
    }
    return v11 ? 1 : 0;
  }
}

const bodyOf = (message: Message, v11: boolean) => (v11 ? message.v11 : message.v10);

type DirectSend = { send: SendNow; reason?: undefined } | { send: null; reason: string };
let direct: DirectSend | undefined;

/**
 * @cam/send's native send when its addon loads here, else why not (then every frame goes through
 * socket.write; chooseServer logs the reason once). Loaded on first use, not on import.
 */
export function directSend(): DirectSend {
  if (direct) return direct;
  try {
    direct = { send: nativeSend().send };
  } catch (err) {
    direct = { send: null, reason: (err as Error).message };
  }
  return direct;
}

/** The libuv handle of a plain TCP socket, as net.Socket keeps it (Node internals, stable since v12). */
interface TcpHandle {
  readonly fd: number;
  readonly writeQueueSize: number;
}
/** The upgraded socket with the fields of net.Socket and tls.TLSSocket read here. */
type UpgradedSocket = Duplex & { _handle?: TcpHandle | null; encrypted?: boolean };

class WsPeer implements Peer {
  /** Cleared when a ping goes out, set by the pong; still clear at the next ping = gone. */
  alive = true;
  /** The socket's libuv handle while frames may be sent to its fd directly, else null. */
  private readonly handle: TcpHandle | null;
  private readonly fd: number;

  constructor(
    private readonly ws: WebSocket,
    // The upgraded socket itself: a message, framed once for every client, goes to it in one
    // write. ws writes its own control frames (ping, pong, close) to the same socket, each a
    // whole frame, so frames never interleave; bufferedAmount counts both.
    private readonly socket: UpgradedSocket,
    private readonly frames: FrameCache,
    readonly address: string,
    private readonly maxBackpressureBytes: number,
    private readonly sendNow: SendNow | null,
  ) {
    // Direct sends only to a plain TCP socket (never TLS: its bytes must go through OpenSSL)
    // whose libuv handle has an fd. node:http's server gives exactly that.
    const handle = socket._handle ?? null;
    const plain = sendNow !== null && socket.encrypted !== true;
    this.fd = plain && handle && typeof handle.fd === 'number' ? handle.fd : -1;
    this.handle = this.fd >= 0 ? handle : null;
  }

  send(message: Message, v11: boolean): Sent {
    if (this.ws.readyState !== WebSocket.OPEN) return Sent.Dropped;
    const buffered = this.ws.bufferedAmount;
    // uWebSockets.js drops a message past maxBackpressure; so does this twin.
    if (buffered + message.v11.length > this.maxBackpressureBytes) return Sent.Dropped;
    // The frame goes straight to the socket's fd (one native send of the header, made once per
    // message, and the message itself: no copy, no Node stream) only when
    // nothing of this socket waits anywhere in the process: ws's queue and the stream's are
    // empty (bufferedAmount 0: the stream's length plus ws's), the stream is not corked, libuv
    // holds no write request (writeQueueSize 0), and the handle is the one whose fd we took
    // (destroy() nulls _handle and closes the fd in the same call, so a closed or reused fd
    // number is never written). Node starts every write of a socket on this one JavaScript
    // thread, and libuv writes only what its queue holds, so nothing else can be writing the
    // socket while this runs, and these bytes come after every byte written before them.
    // What the kernel does not take (its buffer is full) goes to the stream after them, so
    // order and bufferedAmount stay exact. An error (EPIPE, ECONNRESET, ...) sends nothing:
    // the stream then writes the whole frame, meets the error, and Node reports it and closes
    // the socket as it does without this path.
    if (
      this.handle !== null &&
      buffered === 0 &&
      this.socket._handle === this.handle &&
      this.socket.writableCorked === 0 &&
      this.handle.writeQueueSize === 0
    ) {
      const head = this.frames.header(message, v11);
      const body = bodyOf(message, v11);
      const sent = (this.sendNow as SendNow)(this.fd, head, body);
      if (sent === head.length + body.length) return Sent.Written;
      const frame = this.frames.frame(message, v11);
      this.socket.write(sent > 0 ? frame.subarray(sent) : frame);
    } else {
      this.socket.write(this.frames.frame(message, v11));
    }
    return this.socket.writableLength === 0 ? Sent.Written : Sent.Queued;
  }

  bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  ping(): void {
    this.alive = false;
    this.ws.ping();
  }
}

const BAD_TARGET_REASON = 'bad request target: want a path starting with /';
const BAD_TARGET: Reply = {
  status: 400,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body: `${BAD_TARGET_REASON}\n`,
};

function refuse(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? ''}\r\nConnection: close\r\n` +
      `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/**
 * The ws server; `sendNow` (default: @cam/send's, when it loads) writes frames straight to idle
 * sockets, null writes every frame through the socket's stream.
 */
export function wsServer(sendNow: SendNow | null): StartServer {
  return (host, port, handlers, limits) => start(host, port, handlers, limits, sendNow);
}

export const startWsServer: StartServer = (host, port, handlers, limits) =>
  start(host, port, handlers, limits, directSend().send);

function start(
  host: string,
  port: number,
  handlers: ServerHandlers,
  limits: ServerLimits,
  sendNow: SendNow | null,
): Promise<WebSocketServer> {
  const peers = new Set<WsPeer>();
  const frames = new FrameCache();
  const chosenProtocol = new WeakMap<IncomingMessage, string>();
  const wss = new WsServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: limits.maxClientMessageBytes,
    handleProtocols: (_offered, req) => chosenProtocol.get(req) ?? false,
  });
  const http = createServer((req, res) => {
    const request = readRequest(req);
    const reply = request ? handlers.http(request) : BAD_TARGET;
    res.writeHead(reply.status, STATUS_TEXT[reply.status], reply.headers);
    res.end(reply.body);
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const request = readRequest(req);
    if (!request) {
      refuse(socket, BAD_TARGET.status, BAD_TARGET_REASON);
      return;
    }
    const decision = handlers.upgrade(request);
    if (!decision.accept) {
      refuse(socket, decision.status, decision.reason);
      return;
    }
    if (decision.protocol) chosenProtocol.set(req, decision.protocol);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const peer = new WsPeer(
        ws,
        socket,
        frames,
        request.address,
        limits.maxBackpressureBytes,
        sendNow,
      );
      peers.add(peer);
      // ws reports bad frames and oversized messages here, then closes the connection; the
      // close event may only say 1006 (no close frame back), so keep the protocol's verdict.
      let violation: number | undefined;
      ws.on('error', (err: Error & { code?: string }) => {
        violation = err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1002;
      });
      ws.on('pong', () => {
        peer.alive = true;
      });
      ws.on('message', (data: Buffer, isBinary) => handlers.message(peer, data, isBinary));
      ws.on('close', (code) => {
        peers.delete(peer);
        handlers.close(peer, violation ?? code);
      });
      handlers.open(peer, decision.subscription ?? DEFAULT_SUBSCRIPTION);
    });
  });
  // Same cadence as uWebSockets.js's sendPingsAutomatically: a ping every half idle timeout.
  const heartbeat = setInterval(
    () => {
      for (const peer of peers) {
        if (peer.alive) peer.ping();
        else peer.terminate();
      }
    },
    (limits.idleTimeoutS * 1000) / 2,
  );
  heartbeat.unref();

  return new Promise((resolve, reject) => {
    http.once('error', (err: NodeJS.ErrnoException) => {
      clearInterval(heartbeat);
      reject(new Error(`cannot listen on ${host}:${port}: ${err.code ?? err.message}`));
    });
    http.listen(port, host, () => {
      const address = http.address();
      const server: WebSocketServer = {
        implementation: 'ws',
        port: typeof address === 'object' && address ? address.port : port,
        close: () =>
          new Promise((done) => {
            clearInterval(heartbeat);
            for (const peer of peers) peer.terminate();
            http.closeAllConnections();
            http.close(() => done());
          }),
      };
      resolve(server);
    });
  });
}
