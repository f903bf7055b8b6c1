// H.264 over RTP (RFC 6184, packetization-mode 1: single NAL unit packets and FU-A) and the
// RTCP we send and read (RFC 3550: SR + SDES CNAME out, RR/BYE in). One RtpStream per channel:
// every client of a channel gets the same packets (one SSRC, one sequence), as a shared-media
// RTSP server does; a client that skips frames sees the sequence gap, which is the truth.
//
// A frame becomes ONE buffer of interleaved records (RFC 2326 §10.12: `$`, channel, u16 length,
// packet), channel 0 carrying RTP and 1 RTCP. TCP clients on channels 0-1 are sent that buffer
// as it is; a UDP client gets each record's packet (a view, no copy) on its RTP or RTCP port.
import { randomBytes } from 'node:crypto';
import { splitNalUnits } from '@cam/protocol';

export const RTP_CLOCK_HZ = 90_000;
export const RTP_PAYLOAD_TYPE = 96;
const RTP_HEADER_BYTES = 12;
const RECORD_HEADER_BYTES = 4;
const FU_A = 28;
/** The smallest --rtsp-mtu: an RTP header, the FU indicator and header, and some payload. */
export const MIN_MTU = 128;
/** The largest: an interleaved record's length is a u16, a UDP datagram a little less. */
export const MAX_MTU = 65_000;
/** A sender report goes out with every keyframe and at least this often (RFC 3550 §6.2). */
export const SR_INTERVAL_MS = 5000;
// Seconds from the NTP epoch (1900) to the Unix epoch (1970).
const NTP_UNIX_OFFSET_S = 2_208_988_800;

/** Interleaved channels in a frame buffer, before a TCP client's own are written in. */
export const RTP_CHANNEL = 0;
export const RTCP_CHANNEL = 1;

function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** One interleaved record of a frame buffer: its channel and the packet in it (a view). */
export interface PacketRecord {
  channel: number;
  packet: Buffer;
}

/** Walks the records of a frame buffer (bounded: each record's length is read before use). */
export function* records(frame: Uint8Array): Generator<PacketRecord> {
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= buf.length) {
    const length = buf.readUInt16BE(at + 2);
    const end = at + RECORD_HEADER_BYTES + length;
    if (end > buf.length) return;
    yield { channel: buf[at + 1] as number, packet: buf.subarray(at + RECORD_HEADER_BYTES, end) };
    at = end;
  }
}

/** A copy of a frame buffer with its channels moved to `rtp` and `rtp + 1` (a TCP client's). */
export function withChannels(frame: Uint8Array, rtp: number): Buffer {
  const copy = Buffer.from(frame);
  let at = 0;
  while (at + RECORD_HEADER_BYTES <= copy.length) {
    copy[at + 1] = (copy[at + 1] as number) + rtp;
    at += RECORD_HEADER_BYTES + copy.readUInt16BE(at + 2);
  }
  return copy;
}

/** The packetizer state of one channel: SSRC, sequence number, clock offset and SR counts. */
export class RtpStream {
  readonly ssrc = random32();
  private seq = random32() & 0xffff;
  private readonly clockBase = random32();
  private packets = 0;
  private octets = 0;
  private lastSrAt = Number.NEGATIVE_INFINITY;

  constructor(
    /** Largest RTP packet, header included; bigger NAL units are split into FU-A fragments. */
    readonly mtu: number,
    /** Canonical name in the SDES of every SR. */
    private readonly cname: string,
  ) {
    if (!Number.isInteger(mtu) || mtu < MIN_MTU || mtu > MAX_MTU) {
      throw new RangeError(`RTP MTU ${mtu} is outside ${MIN_MTU}..${MAX_MTU}`);
    }
  }

  /** The RTP timestamp (90 kHz) of a capture time in ms; exact in integers below 2^53. */
  rtpTime(timestampMs: number): number {
    const ticks = ((Math.round(timestampMs) % 2 ** 32) * (RTP_CLOCK_HZ / 1000)) % 2 ** 32;
    return (this.clockBase + ticks) % 2 ** 32;
  }

  /** The sequence number the next packet gets. */
  get nextSeq(): number {
    return this.seq;
  }

  /**
   * One access unit (Annex B) as a frame buffer: an SR first when it is a keyframe or the last
   * SR is SR_INTERVAL_MS old, then its NAL units as single-NAL or FU-A packets, the marker bit
   * on the last. Throws ProtocolError (from splitNalUnits) for a malformed access unit.
   */
  packetize(accessUnit: Uint8Array, timestampMs: number, keyframe: boolean, nowMs: number): Buffer {
    const nals = splitNalUnits(accessUnit);
    const maxPayload = this.mtu - RTP_HEADER_BYTES;
    const fragment = maxPayload - 2;
    let size = 0;
    for (const { data } of nals) {
      if (data.length <= maxPayload) size += RECORD_HEADER_BYTES + RTP_HEADER_BYTES + data.length;
      else {
        const pieces = Math.ceil((data.length - 1) / fragment);
        size += pieces * (RECORD_HEADER_BYTES + RTP_HEADER_BYTES + 2) + data.length - 1;
      }
    }
    const rtpTime = this.rtpTime(timestampMs);
    const sr =
      keyframe || nowMs - this.lastSrAt >= SR_INTERVAL_MS ? this.senderReport(timestampMs) : null;
    const out = Buffer.allocUnsafe(size + (sr ? RECORD_HEADER_BYTES + sr.length : 0));
    let at = 0;
    if (sr) {
      this.lastSrAt = nowMs;
      at = record(out, at, RTCP_CHANNEL, sr.length);
      at += sr.copy(out, at);
    }
    nals.forEach(({ data }, i) => {
      const lastNal = i === nals.length - 1;
      if (data.length <= maxPayload) {
        at = this.header(out, at, data.length, lastNal, rtpTime);
        out.set(data, at);
        at += data.length;
        return;
      }
      const nalHeader = data[0] as number;
      for (let from = 1; from < data.length; from += fragment) {
        const to = Math.min(data.length, from + fragment);
        const end = to === data.length;
        at = this.header(out, at, to - from + 2, lastNal && end, rtpTime);
        out[at++] = (nalHeader & 0xe0) | FU_A;
        out[at++] = (from === 1 ? 0x80 : 0) | (end ? 0x40 : 0) | (nalHeader & 0x1f);
        out.set(data.subarray(from, to), at);
        at += to - from;
      }
    });
    return out;
  }

  /** Writes a record header and an RTP header for `payload` bytes; returns where the payload goes. */
  private header(out: Buffer, at: number, payload: number, marker: boolean, time: number): number {
    let p = record(out, at, RTP_CHANNEL, RTP_HEADER_BYTES + payload);
    out[p++] = 0x80; // V=2, no padding, no extension, no CSRC
    out[p++] = (marker ? 0x80 : 0) | RTP_PAYLOAD_TYPE;
    out.writeUInt16BE(this.seq, p);
    out.writeUInt32BE(time, p + 2);
    out.writeUInt32BE(this.ssrc, p + 6);
    this.seq = (this.seq + 1) & 0xffff;
    this.packets = (this.packets + 1) % 2 ** 32;
    this.octets = (this.octets + payload) % 2 ** 32;
    return p + 10;
  }

  /** SR (RFC 3550 §6.4.1) mapping this capture time to its RTP time, then SDES CNAME. */
  senderReport(timestampMs: number): Buffer {
    const cname = Buffer.from(this.cname.slice(0, 255), 'utf8').subarray(0, 255);
    // SDES chunk: SSRC, CNAME item (type, length, text), END, padded to 32 bits.
    const sdesChunk = 4 + 2 + cname.length + 1;
    const sdesBytes = 4 + Math.ceil(sdesChunk / 4) * 4;
    const out = Buffer.alloc(28 + sdesBytes);
    out[0] = 0x80;
    out[1] = 200;
    out.writeUInt16BE(6, 2);
    out.writeUInt32BE(this.ssrc, 4);
    const seconds = Math.floor(timestampMs / 1000);
    out.writeUInt32BE((seconds + NTP_UNIX_OFFSET_S) % 2 ** 32, 8);
    out.writeUInt32BE(Math.floor(((timestampMs - seconds * 1000) / 1000) * 2 ** 32), 12);
    out.writeUInt32BE(this.rtpTime(timestampMs), 16);
    out.writeUInt32BE(this.packets, 20);
    out.writeUInt32BE(this.octets, 24);
    out[28] = 0x81; // V=2, one chunk
    out[29] = 202;
    out.writeUInt16BE(sdesBytes / 4 - 1, 30);
    out.writeUInt32BE(this.ssrc, 32);
    out[36] = 1; // CNAME
    out[37] = cname.length;
    cname.copy(out, 38);
    return out;
  }
}

function record(out: Buffer, at: number, channel: number, length: number): number {
  out[at] = 0x24;
  out[at + 1] = channel;
  out.writeUInt16BE(length, at + 2);
  return at + RECORD_HEADER_BYTES;
}

/** What a client's RTCP compound packet said, or null when it is not valid RTCP. */
export interface RtcpSummary {
  /** Receiver or sender reports in it. */
  reports: number;
  bye: boolean;
}

/** Reads a compound RTCP packet (RFC 3550 §6.1), checking every length against the buffer. */
export function parseRtcp(packet: Uint8Array): RtcpSummary | null {
  const summary: RtcpSummary = { reports: 0, bye: false };
  let at = 0;
  while (at < packet.length) {
    if (at + 4 > packet.length) return null;
    const first = packet[at] as number;
    const type = packet[at + 1] as number;
    const length = (((packet[at + 2] as number) << 8) | (packet[at + 3] as number)) * 4 + 4;
    if (first >> 6 !== 2 || type < 192 || type > 223 || at + length > packet.length) return null;
    if (at === 0 && type !== 200 && type !== 201) return null;
    if (type === 200 || type === 201) summary.reports++;
    if (type === 203) summary.bye = true;
    at += length;
  }
  return summary.reports > 0 ? summary : null;
}
