// Sends every framed access unit of one channel to its clients, the same bytes to all (v1.1
// clients get the message with its channel-id byte, v1.0 clients the same bytes from offset 1),
// and keeps each client on a decodable chain:
// - Late joiners (see join.ts): with the 'keyframe' policy a joiner waits for the next IDR, which
//   is requested from the camera (coalesced and rate-limited); with 'gop' it gets the cached GOP
//   (IDR with SPS+PPS, then every frame since) at once. A GOP that outgrows gopCacheBytes is not
//   cached, and a joiner then waits for the next IDR, requested the same way.
// - A client's queue is its socket's unsent bytes. Over clientBufferBytes it gets nothing until
//   it has drained and a keyframe comes (never a P-frame after a gap), so its memory is bounded
//   by clientBufferBytes plus one message; a client over the bound for stallTimeoutMs is cut.
//   Only a client whose last send left bytes queued can be over it, so only those are asked.
// - Per frame the work per client is one send of the same Message; counts go to the metrics
//   once per frame.
import { type JoinPolicy, KeyframeRequests } from './join';
import type { Logger } from './log';
import type { DisconnectReason, DropReason, FanoutMetrics } from './metrics';

/**
 * One frame as the fan-out sends it, made once per frame: the same bytes to every client of a
 * framing. A transport that frames it for its sockets does so once per Message (and framing).
 */
export interface Message {
  /** v1.1: [channel id][access unit][u64 LE ms]. */
  readonly v11: Uint8Array;
  /** v1.0: the same bytes from offset 1. */
  readonly v10: Uint8Array;
}

/**
 * What Peer.send did with a message: Written = handed to the kernel whole (nothing of it waits in
 * the process); Queued = accepted, part of it still queued (bufferedAmount() > 0); Dropped =
 * refused by the implementation (over its own backpressure limit, or closing).
 * The numbers are uWebSockets.js's own SendStatus.
 */
export const Sent = { Queued: 0, Written: 1, Dropped: 2 } as const;
export type Sent = (typeof Sent)[keyof typeof Sent];

/** One connected WebSocket, as a server implementation exposes it. */
export interface Peer {
  /** Remote IP address, for logs. */
  readonly address: string;
  /** Queues one binary message, in the v1.1 or v1.0 framing. */
  send(message: Message, v11: boolean): Sent;
  /** Bytes queued for this client and not yet written to the network. */
  bufferedAmount(): number;
  /** Closing handshake with a code and reason. */
  close(code: number, reason: string): void;
  /** Drops the connection at once. */
  terminate(): void;
}

interface Client {
  peer: Peer;
  /** v1.1 (channel id first) or v1.0 framing. */
  v11: boolean;
  /**
   * Whether the last send left bytes queued in the process. Only then can the client be over
   * its bound, so only then is bufferedAmount() asked: per-client work when its state changes.
   */
  queued: boolean;
  /** Why frames are skipped until the next keyframe, or null when the client is live. */
  skipping: DropReason | null;
  /** When the client went over its buffer bound, or null while under it. */
  overSince: number | null;
  /** Frames skipped in the current skipping episode, for the log line when it ends. */
  skipped: number;
  /** Set when the server ends the connection, so the close is counted under this reason. */
  closeReason: DisconnectReason | null;
}

export interface FanoutOptions {
  clientBufferBytes: number;
  gopCacheBytes: number;
  stallTimeoutMs: number;
  join: JoinPolicy;
  /** At most one keyframe request per this many ms, however many clients join. */
  keyframeIntervalMs: number;
  /** This channel's counters (each also counts in the all-channel totals). */
  metrics: FanoutMetrics;
  log: Logger;
  /** Asks the camera for an IDR (for joiners waiting for one). */
  requestKeyframe: () => void;
}

// Close codes a client earns by breaking the protocol (RFC 6455 §7.4.1).
const PROTOCOL_CLOSE_CODES = new Set([1002, 1003, 1007, 1009]);

export class Fanout {
  private readonly clients = new Map<Peer, Client>();
  /** Messages of the current GOP. */
  private gop: Message[] = [];
  private gopBytes = 0;
  /** False until the first keyframe, and while the current GOP is over the cap. */
  private gopComplete = false;
  private readonly keyframes: KeyframeRequests;

  constructor(private readonly options: FanoutOptions) {
    this.keyframes = new KeyframeRequests(() => {
      options.metrics.keyframeRequests.inc();
      options.requestKeyframe();
    }, options.keyframeIntervalMs);
  }

  get size(): number {
    return this.clients.size;
  }

  /** Bytes held for late joiners. */
  get cachedBytes(): number {
    return this.gopBytes;
  }

  /** Unsent bytes of the most backed-up client. */
  maxBufferedBytes(): number {
    let max = 0;
    for (const peer of this.clients.keys()) max = Math.max(max, peer.bufferedAmount());
    return max;
  }

  /** Starts a client: live frames from the next keyframe, or the cached GOP now. */
  add(peer: Peer, framing: 'v1.0' | 'v1.1' = 'v1.0'): void {
    const client: Client = {
      peer,
      v11: framing === 'v1.1',
      queued: false,
      skipping: null,
      overSince: null,
      skipped: 0,
      closeReason: null,
    };
    this.clients.set(peer, client);
    if (this.options.join === 'keyframe' || !this.gopComplete) {
      client.skipping = 'waiting_for_keyframe';
      this.keyframes.want();
      return;
    }
    const { metrics } = this.options;
    for (const message of this.gop) {
      if (!this.send(client, message)) {
        metrics.drops.inc(1, 'backpressure');
        return;
      }
      metrics.messagesSent.inc();
      metrics.bytesSent.inc((client.v11 ? message.v11 : message.v10).length);
    }
  }

  /** A client asks for an IDR (it fell behind and dropped to the next one): coalesced, rate-limited. */
  wantKeyframe(): void {
    this.keyframes.want();
  }

  /** Forgets a closed client; returns why it went, for the log. */
  remove(peer: Peer, code: number): DisconnectReason {
    const client = this.clients.get(peer);
    this.clients.delete(peer);
    const reason = client?.closeReason ?? (PROTOCOL_CLOSE_CODES.has(code) ? 'protocol' : 'client');
    this.options.metrics.disconnects.inc(1, reason);
    return reason;
  }

  /**
   * Sends one framed access unit to every client that can take it: `bytes` in the v1.1
   * framing (channel id first); v1.0 clients get the same bytes from offset 1.
   */
  broadcast(bytes: Uint8Array, keyframe: boolean): void {
    const message: Message = { v11: bytes, v10: bytes.subarray(1) };
    if (keyframe) this.keyframes.keyframeSent();
    if (this.options.join === 'gop') this.cache(message, keyframe);
    const { clientBufferBytes, stallTimeoutMs, metrics, log } = this.options;
    // Counted here and added to the metrics once per frame, not once per client.
    let sent10 = 0;
    let sent11 = 0;
    let slow = 0;
    let waiting = 0;
    let refused = 0;
    let now = 0;
    for (const client of this.clients.values()) {
      if (client.closeReason !== null) continue; // being closed: its close event is on the way
      if (client.queued) {
        const buffered = client.peer.bufferedAmount();
        if (buffered > clientBufferBytes) {
          if (client.skipping !== 'slow_client') {
            client.skipping = 'slow_client';
            log.warn('client too slow, skipping to the next keyframe', {
              address: client.peer.address,
              bufferedBytes: buffered,
            });
          }
          now ||= Date.now();
          client.overSince ??= now;
          client.skipped++;
          slow++;
          if (now - client.overSince > stallTimeoutMs) this.cut(client, buffered);
          continue;
        }
        client.overSince = null;
        client.queued = buffered > 0;
      }
      if (client.skipping !== null) {
        if (!keyframe) {
          client.skipped++;
          if (client.skipping === 'slow_client') slow++;
          else if (client.skipping === 'backpressure') refused++;
          else waiting++;
          continue;
        }
        if (client.skipped > 0) {
          log.info('client back at a keyframe', {
            address: client.peer.address,
            skippedFrames: client.skipped,
            reason: client.skipping,
          });
        }
        client.skipping = null;
        client.skipped = 0;
      }
      if (!this.send(client, message)) refused++;
      else if (client.v11) sent11++;
      else sent10++;
    }
    if (sent10 + sent11 > 0) {
      metrics.messagesSent.inc(sent10 + sent11);
      metrics.bytesSent.inc(sent10 * message.v10.length + sent11 * message.v11.length);
    }
    if (slow > 0) metrics.drops.inc(slow, 'slow_client');
    if (waiting > 0) metrics.drops.inc(waiting, 'waiting_for_keyframe');
    if (refused > 0) metrics.drops.inc(refused, 'backpressure');
  }

  /** Closes every client with a reason (counted under 'shutdown'); no keyframe is asked for after. */
  closeAll(code: number, reason: string): void {
    this.keyframes.cancel();
    for (const client of this.clients.values()) {
      client.closeReason = 'shutdown';
      client.peer.close(code, reason);
    }
  }

  /** False when the implementation refused the message: the client waits for a keyframe. */
  private send(client: Client, message: Message): boolean {
    const result = client.peer.send(message, client.v11);
    if (result === Sent.Dropped) {
      client.skipping = 'backpressure';
      return false;
    }
    client.queued = result === Sent.Queued;
    return true;
  }

  private cut(client: Client, buffered: number): void {
    this.options.log.warn('client stalled, disconnecting', {
      address: client.peer.address,
      bufferedBytes: buffered,
      stallTimeoutMs: this.options.stallTimeoutMs,
    });
    client.closeReason = 'stalled';
    client.peer.terminate();
  }

  private cache(message: Message, keyframe: boolean): void {
    if (keyframe) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopComplete = true;
    }
    if (!this.gopComplete) return;
    if (this.gopBytes + message.v11.length > this.options.gopCacheBytes) {
      this.options.log.debug('GOP over the cache cap; late joiners wait for the next IDR', {
        gopCacheBytes: this.options.gopCacheBytes,
      });
      this.gop = [];
      this.gopBytes = 0;
      this.gopComplete = false;
      return;
    }
    this.gop.push(message);
    this.gopBytes += message.v11.length;
  }
}
