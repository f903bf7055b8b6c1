// The one small interface both WebSocket servers implement (uWebSockets.js and ws); the choice
// between them is choose-server.ts. Everything above this line of code is shared, so both
// behave alike.
import type { Peer } from './fanout';

export type Implementation = 'uWebSockets.js' | 'ws';

/** An HTTP request or WebSocket upgrade, read synchronously from either server. */
export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case header name → value, or undefined. */
  header(name: string): string | undefined;
  address: string;
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array;
}

/** Which stream an accepted client gets, and how its messages are framed (@cam/protocol). */
export interface Subscription {
  channel: number;
  /** 'v1.0': AU ‖ u64 LE ms (no ?channel); 'v1.1': channel id ‖ AU ‖ u64 LE ms (?channel=N). */
  framing: 'v1.0' | 'v1.1';
}

/** A client without ?channel: channel 0, v1.0 framing (what the Supervisor UI of v1.0 gets). */
export const DEFAULT_SUBSCRIPTION: Subscription = Object.freeze({ channel: 0, framing: 'v1.0' });

export type UpgradeDecision =
  | {
      accept: true /** Subprotocol to confirm, echoing one the client offered. */;
      protocol?: string;
      /** Handed back to open(); default channel 0 in the v1.0 framing. */
      subscription?: Subscription;
    }
  | { accept: false; status: 400 | 401 | 403 | 503; reason: string };

export interface ServerHandlers {
  http(req: Request): Reply;
  upgrade(req: Request): UpgradeDecision;
  /** A client the upgrade accepted, with that decision's subscription. */
  open(peer: Peer, subscription: Subscription): void;
  /** A client message, valid only during the call (`@cam/protocol`'s keyframe request, else ignored; counted). */
  message(peer: Peer, data: Uint8Array, isBinary: boolean): void;
  close(peer: Peer, code: number): void;
}

export interface ServerLimits {
  /** Bigger client messages close the connection (1009). */
  maxClientMessageBytes: number;
  /** A client answering no ping for this long is disconnected. */
  idleTimeoutS: number;
  /** Unsent bytes past which the implementation itself drops a message (a safety net). */
  maxBackpressureBytes: number;
}

export interface WebSocketServer {
  readonly implementation: Implementation;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops listening and drops every remaining connection. */
  close(): Promise<void>;
}

export type StartServer = (
  host: string,
  port: number,
  handlers: ServerHandlers,
  limits: ServerLimits,
) => Promise<WebSocketServer>;

/** Reason text for the statuses the servers send. */
export const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  503: 'Service Unavailable',
};

/** Strips the IPv4-mapped IPv6 prefix so logs show 127.0.0.1, not ::ffff:127.0.0.1. */
export function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** Splits a Sec-WebSocket-Protocol header into the offered subprotocols. */
export function offeredProtocols(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
