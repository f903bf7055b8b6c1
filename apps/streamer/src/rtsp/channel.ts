// One camera channel as RTSP serves it: the stream parameters the SDP needs, the RTP
// packetizer, and the clients in PLAY (and a push), fed through the same Fanout policies as the
// WebSocket side: a joiner starts at an IDR (requested or cached), a slow TCP client skips to
// the next keyframe with a bounded queue and is cut when it stays stalled.
import { performance } from 'node:perf_hooks';
import { findParameterSets, parseSps } from '@cam/protocol';
import { Fanout, type FanoutOptions, type Peer } from '../fanout';
import type { Logger } from '../log';
import type { RtspMetrics } from './metrics';
import { RtpStream } from './rtp';
import { buildSdp } from './sdp';

export interface ChannelOptions
  extends Pick<
    FanoutOptions,
    'clientBufferBytes' | 'gopCacheBytes' | 'stallTimeoutMs' | 'join' | 'keyframeIntervalMs'
  > {
  id: number;
  mtu: number;
  /** The camera's frame rate, for the SDP. */
  fps: () => number;
  requestKeyframe: () => void;
  metrics: RtspMetrics;
  log: Logger;
}

export interface ChannelFrame {
  data: Uint8Array;
  timestampMs: number;
  keyframe: boolean;
}

export class RtspChannel {
  readonly id: number;
  readonly rtp: RtpStream;
  readonly fanout: Fanout;
  private params: { sps: Uint8Array; pps: Uint8Array; width: number; height: number } | null = null;
  private version = 1;
  private badFrames = 0;

  constructor(private readonly options: ChannelOptions) {
    this.id = options.id;
    this.rtp = new RtpStream(options.mtu, `camstream-ch${options.id}`);
    this.fanout = new Fanout({ ...options, metrics: options.metrics.fanout });
  }

  /** True once a keyframe brought the SPS and PPS a DESCRIBE or ANNOUNCE needs. */
  get ready(): boolean {
    return this.params !== null;
  }

  /** The SDP of this channel, or null before its first keyframe. */
  sdp(address: string): string | null {
    if (!this.params) return null;
    return buildSdp({ ...this.params, fps: this.options.fps(), address, version: this.version });
  }

  /** Starts a client (PLAY, or a push connection) at the channel's next decodable frame. */
  addClient(peer: Peer): void {
    // 'v1.1': the fan-out hands each frame buffer over whole (its v1.0 framing would send the
    // WebSocket message without its first byte, the channel id, which RTP buffers do not have).
    this.fanout.add(peer, 'v1.1');
  }

  /** Packetizes one access unit once and hands the packets to every client of the channel. */
  publish(frame: ChannelFrame): void {
    const t0 = performance.now();
    if (frame.keyframe) this.learn(frame.data);
    // Nobody to send to, and nothing to cache (joiners get a fresh IDR): no packets to make.
    if (this.fanout.size === 0 && this.options.join === 'keyframe') return;
    let packets: Buffer;
    try {
      packets = this.rtp.packetize(frame.data, frame.timestampMs, frame.keyframe, Date.now());
    } catch (err) {
      // Malformed H.264 from the camera: that frame is skipped for RTSP clients, the rest go on.
      this.badFrames++;
      if (this.badFrames === 1 || this.badFrames % 1000 === 0) {
        this.options.log.warn('rtsp: access unit not packetizable, skipped', {
          channel: this.id,
          error: (err as Error).message,
          skipped: this.badFrames,
        });
      }
      return;
    }
    this.fanout.broadcast(packets, frame.keyframe);
    this.options.metrics.packetizeTime.observe((performance.now() - t0) / 1000);
  }

  private learn(accessUnit: Uint8Array): void {
    try {
      const { sps, pps } = findParameterSets(accessUnit);
      if (!sps || !pps) return;
      const old = this.params;
      if (old && Buffer.compare(old.sps, sps) === 0 && Buffer.compare(old.pps, pps) === 0) return;
      const { width, height } = parseSps(sps);
      if (old) this.version++;
      // Copies: the access unit's memory is reused for later frames.
      this.params = { sps: Buffer.from(sps), pps: Buffer.from(pps), width, height };
    } catch {
      // An unreadable SPS keeps the last good parameters; the streamer logs it already.
    }
  }
}
