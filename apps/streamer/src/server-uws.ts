// The WebSocket + HTTP server on uWebSockets.js (from uws-pack, which is ESM only and ships
// binaries for linux x64/arm64/arm on Node 18-22; riscv64 and musl have none, hence the ws twin).
import type {
  HttpRequest,
  HttpResponse,
  TemplatedApp,
  us_listen_socket,
  WebSocket,
} from 'uws-pack';
import type { Message, Peer, Sent } from './fanout';
import {
  DEFAULT_SUBSCRIPTION,
  plainAddress,
  type Reply,
  type Request,
  type ServerHandlers,
  type ServerLimits,
  STATUS_TEXT,
  type StartServer,
  type Subscription,
  type WebSocketServer,
} from './server';

type Uws = typeof import('uws-pack');

interface UserData {
  address: string;
  subscription: Subscription;
  peer?: Peer;
}

function readRequest(res: HttpResponse, req: HttpRequest): Request {
  const query = req.getQuery() ?? '';
  return {
    method: req.getMethod().toUpperCase(),
    path: req.getUrl(),
    query: new URLSearchParams(query),
    header: (name) => req.getHeader(name) || undefined,
    address: plainAddress(Buffer.from(res.getRemoteAddressAsText()).toString()),
  };
}

function writeReply(res: HttpResponse, reply: Reply): void {
  res.cork(() => {
    res.writeStatus(`${reply.status} ${STATUS_TEXT[reply.status] ?? ''}`);
    for (const [k, v] of Object.entries(reply.headers)) res.writeHeader(k, v);
    res.end(reply.body);
  });
}

class UwsPeer implements Peer {
  constructor(
    private readonly ws: WebSocket<UserData>,
    readonly address: string,
  ) {}

  send(message: Message, v11: boolean): Sent {
    // uWS's SendStatus is Sent's numbering: 0 backpressure (queued), 1 written, 2 dropped.
    // A message of 16 KiB or more goes out by writev(header, message) straight from our buffer
    // while nothing is queued and the loop is not corked; a smaller one is copied into uWS's
    // cork buffer first (uWS's WebSocket::send). Corking the broadcast would copy them all.
    return this.ws.send(v11 ? message.v11 : message.v10, true, false) as Sent;
  }

  bufferedAmount(): number {
    return this.ws.getBufferedAmount();
  }

  close(code: number, reason: string): void {
    this.ws.end(code, reason);
  }

  terminate(): void {
    this.ws.close();
  }
}

/**
 * uWebSockets.js reports a connection it cut for a protocol violation as 1006 with a message
 * ("Received too big message", "Received invalid WebSocket frame"); name those by their RFC
 * codes so both implementations count them alike.
 */
function closeCode(code: number, message: string): number {
  if (code !== 1006 || !message.startsWith('Received ')) return code;
  return message.includes('too big') ? 1009 : 1002;
}

function start(uws: Uws): StartServer {
  return (host, port, handlers: ServerHandlers, limits: ServerLimits) => {
    const app: TemplatedApp = uws.App();
    app.ws<UserData>('/*', {
      // uWS.DISABLED (a value at run time, a type only in uws-pack's .d.ts): H.264 does not deflate.
      compression: 0,
      maxPayloadLength: limits.maxClientMessageBytes,
      maxBackpressure: limits.maxBackpressureBytes,
      closeOnBackpressureLimit: false,
      idleTimeout: limits.idleTimeoutS,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => {
        const request = readRequest(res, req);
        const decision = handlers.upgrade(request);
        if (!decision.accept) {
          writeReply(res, {
            status: decision.status,
            headers: { 'content-type': 'text/plain; charset=utf-8' },
            body: `${decision.reason}\n`,
          });
          return;
        }
        res.upgrade<UserData>(
          { address: request.address, subscription: decision.subscription ?? DEFAULT_SUBSCRIPTION },
          req.getHeader('sec-websocket-key'),
          decision.protocol ?? '',
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open: (ws) => {
        const data = ws.getUserData();
        data.peer = new UwsPeer(ws, data.address);
        handlers.open(data.peer, data.subscription);
      },
      message: (ws, message, isBinary) => {
        const peer = ws.getUserData().peer;
        if (peer) handlers.message(peer, new Uint8Array(message), isBinary);
      },
      close: (ws, code, message) => {
        const peer = ws.getUserData().peer;
        if (peer) handlers.close(peer, closeCode(code, Buffer.from(message).toString()));
      },
    });
    app.any('/*', (res, req) => writeReply(res, handlers.http(readRequest(res, req))));

    return new Promise((resolve, reject) => {
      // Without LIBUS_LISTEN_EXCLUSIVE_PORT uSockets sets SO_REUSEPORT: a second streamer would
      // bind the same port without an error and the kernel would split the clients between
      // the two. (uws-pack's .d.ts lacks this value and the host + options overload.)
      const exclusive = (uws as unknown as { LIBUS_LISTEN_EXCLUSIVE_PORT: number })
        .LIBUS_LISTEN_EXCLUSIVE_PORT;
      const listen = app.listen as unknown as (
        host: string,
        port: number,
        options: number,
        cb: (listenSocket: us_listen_socket | false) => void,
      ) => TemplatedApp;
      listen.call(app, host, port, exclusive, (listenSocket) => {
        if (!listenSocket) {
          // uSockets gives no reason code.
          reject(
            new Error(`cannot listen on ${host}:${port}: port in use or no such local address`),
          );
          return;
        }
        const server: WebSocketServer = {
          implementation: 'uWebSockets.js',
          port: uws.us_socket_local_port(listenSocket as never),
          close: async () => {
            uws.us_listen_socket_close(listenSocket);
            app.close();
          },
        };
        resolve(server);
      });
    });
  };
}

/** Imports uWebSockets.js; rejects (with the loader's reason) where it has no binary. */
export async function loadUwsServer(): Promise<StartServer> {
  // A dynamic import: uws-pack is ESM only, and its absence must not break loading this module.
  const uws: Uws = await import('uws-pack');
  return start(uws);
}
