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
import { type JoinPolicy, KeyframeRequests } from './join';
import type { Logger } from './log';
import type { ChannelMetrics, DisconnectReason, DropReason } from './metrics';

/** One connected WebSocket, as a server implementation exposes it. */
export interface Peer {
  /** Remote IP address, for logs. */
  readonly address: string;
  /** Queues one binary message; false when the implementation dropped it. */
  send(message: Uint8Array): boolean;
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
  metrics: ChannelMetrics;
  log: Logger;
  /** Asks the camera for an IDR (for joiners waiting for one). */
  requestKeyframe: () => void;
}

// Close codes a client earns by breaking the protocol (RFC 6455 §7.4.1).
const PROTOCOL_CLOSE_CODES = new Set([1002, 1003, 1007, 1009]);

export class Fanout {
  private readonly clients = new Map<Peer, Client>();
  /** v1.1 messages of the current GOP (v1.0 clients get each one's subarray(1)). */
  private gop: Uint8Array[] = [];
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
    for (const message of this.gop) {
      if (!this.deliver(client, client.v11 ? message : message.subarray(1))) return;
    }
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
   * Sends one framed access unit to every client that can take it: `message` in the v1.1
   * framing (channel id first); v1.0 clients get the same bytes from offset 1.
   */
  broadcast(message: Uint8Array, keyframe: boolean): void {
    if (keyframe) this.keyframes.keyframeSent();
    if (this.options.join === 'gop') this.cache(message, keyframe);
    const legacy = message.subarray(1);
    const { clientBufferBytes, stallTimeoutMs, metrics, log } = this.options;
    const now = Date.now();
    for (const client of this.clients.values()) {
      if (client.closeReason !== null) continue; // being closed: its close event is on the way
      const buffered = client.peer.bufferedAmount();
      if (buffered > clientBufferBytes) {
        if (client.skipping !== 'slow_client') {
          client.skipping = 'slow_client';
          log.warn('client too slow, skipping to the next keyframe', {
            address: client.peer.address,
            bufferedBytes: buffered,
          });
        }
        client.overSince ??= now;
        client.skipped++;
        metrics.drops.inc(1, 'slow_client');
        if (now - client.overSince > stallTimeoutMs) this.cut(client, buffered);
        continue;
      }
      client.overSince = null;
      if (client.skipping !== null) {
        if (!keyframe) {
          client.skipped++;
          metrics.drops.inc(1, client.skipping);
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
      this.deliver(client, client.v11 ? message : legacy);
    }
  }

  /** Closes every client with a reason (counted under 'shutdown'); no keyframe is asked for after. */
  closeAll(code: number, reason: string): void {
    this.keyframes.cancel();
    for (const client of this.clients.values()) {
      client.closeReason = 'shutdown';
      client.peer.close(code, reason);
    }
  }

  private deliver(client: Client, message: Uint8Array): boolean {
    const { metrics } = this.options;
    if (!client.peer.send(message)) {
      client.skipping = 'backpressure';
      metrics.drops.inc(1, 'backpressure');
      return false;
    }
    metrics.messagesSent.inc();
    metrics.bytesSent.inc(message.length);
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

  private cache(message: Uint8Array, keyframe: boolean): void {
    if (keyframe) {
      this.gop = [];
      this.gopBytes = 0;
      this.gopComplete = true;
    }
    if (!this.gopComplete) return;
    if (this.gopBytes + message.length > this.options.gopCacheBytes) {
      this.options.log.debug('GOP over the cache cap; late joiners wait for the next IDR', {
        gopCacheBytes: this.options.gopCacheBytes,
      });
      this.gop = [];
      this.gopBytes = 0;
      this.gopComplete = false;
      return;
    }
    this.gop.push(message);
    this.gopBytes += message.length;
  }
}
