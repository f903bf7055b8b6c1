import { splitNalUnits } from '@cam/protocol';
import { describe, expect, it } from 'vitest';
import { parseRtcp, RTP_CHANNEL, RtpStream, records, withChannels } from './rtp';

/** An Annex B access unit of NAL units with the given header bytes and sizes. */
function accessUnit(nals: [number, number][]): Buffer {
  return Buffer.concat(
    nals.map(([header, size]) => {
      const nal = Buffer.alloc(size, 0x5a);
      nal[0] = header;
      return Buffer.concat([Buffer.from([0, 0, 0, 1]), nal]);
    }),
  );
}

/** RFC 6184 depacketization, as a receiver does it: the NAL units back. */
function depacketize(frame: Buffer): {
  nals: Buffer[];
  markers: number;
  times: Set<number>;
  seqs: number[];
} {
  const nals: Buffer[] = [];
  let fu: Buffer[] = [];
  let markers = 0;
  const times = new Set<number>();
  const seqs: number[] = [];
  for (const { channel, packet } of records(frame)) {
    if (channel !== RTP_CHANNEL) continue;
    if ((packet[1] as number) & 0x80) markers++;
    seqs.push(packet.readUInt16BE(2));
    times.add(packet.readUInt32BE(4));
    const payload = packet.subarray(12);
    if (((payload[0] as number) & 0x1f) !== 28) {
      nals.push(payload);
      continue;
    }
    const start = (payload[1] as number) & 0x80;
    const end = (payload[1] as number) & 0x40;
    if (start)
      fu = [Buffer.from([((payload[0] as number) & 0xe0) | ((payload[1] as number) & 0x1f)])];
    fu.push(payload.subarray(2));
    if (end) nals.push(Buffer.concat(fu));
  }
  return { nals, markers, times, seqs };
}

describe('RtpStream.packetize', () => {
  it('sends small NAL units whole and splits big ones into FU-A within the MTU, marker on the last', () => {
    const mtu = 200;
    const stream = new RtpStream(mtu, 'test');
    const au = accessUnit([
      [0x67, 20],
      [0x68, 5],
      [0x65, 1000],
      [0x65, 188],
      [0x65, 189],
    ]);
    const frame = stream.packetize(au, 1_700_000_000_123, true, 0);
    const packets = [...records(frame)];
    expect(packets[0]?.channel).toBe(1); // a sender report before a keyframe
    for (const p of packets) expect(p.packet.length).toBeLessThanOrEqual(mtu);
    const { nals, markers, times, seqs } = depacketize(frame);
    expect(nals).toEqual(splitNalUnits(au).map((n) => Buffer.from(n.data)));
    expect(markers).toBe(1);
    expect(records(frame).next().value).toBeDefined();
    const rtpPackets = packets.filter((p) => p.channel === 0);
    expect(((rtpPackets.at(-1) as { packet: Buffer }).packet[1] as number) & 0x80).toBe(0x80);
    expect([...times]).toEqual([stream.rtpTime(1_700_000_000_123)]);
    expect(seqs.every((s, i) => i === 0 || s === (((seqs[i - 1] as number) + 1) & 0xffff))).toBe(
      true,
    );
    // The next frame continues the sequence; a delta frame 2 s later carries no SR.
    const next = stream.packetize(accessUnit([[0x41, 50]]), 1_700_000_000_156, false, 2000);
    const [only] = [...records(next)];
    expect(only?.channel).toBe(0);
    expect(only?.packet.readUInt16BE(2)).toBe(((seqs.at(-1) as number) + 1) & 0xffff);
    expect(
      (only as { packet: Buffer }).packet.readUInt32BE(4) - stream.rtpTime(1_700_000_000_123),
    ).toBe(33 * 90);
  });

  it('maps capture time to RTP time at 90 kHz, wrapping at 2^32', () => {
    const stream = new RtpStream(1400, 'x');
    const t = 1_764_000_000_000;
    expect((stream.rtpTime(t + 1000) - stream.rtpTime(t) + 2 ** 32) % 2 ** 32).toBe(90_000);
    expect(stream.rtpTime(t)).toBeLessThan(2 ** 32);
    expect(Number.isInteger(stream.rtpTime(t + 0.4))).toBe(true);
  });

  it('writes a sender report that maps the capture wall clock (NTP) to the RTP time', () => {
    const stream = new RtpStream(1400, 'camstream-ch0');
    stream.packetize(accessUnit([[0x65, 3000]]), 1_000, true, 0);
    const t = 1_764_000_000_250;
    const sr = stream.senderReport(t);
    expect(sr[1]).toBe(200);
    expect(sr.readUInt32BE(4)).toBe(stream.ssrc);
    expect(sr.readUInt32BE(8)).toBe(Math.floor(t / 1000) + 2_208_988_800);
    expect(sr.readUInt32BE(12)).toBe(2 ** 30); // .250 s
    expect(sr.readUInt32BE(16)).toBe(stream.rtpTime(t));
    expect(sr.readUInt32BE(20)).toBe(3); // packets so far (3000 bytes at MTU 1400)
    expect(sr[29]).toBe(202); // SDES
    expect(sr.subarray(38, 38 + (sr[37] as number)).toString()).toBe('camstream-ch0');
    expect(sr.length % 4).toBe(0);
    expect(parseRtcp(sr)).toEqual({ reports: 1, bye: false });
  });

  it('refuses an MTU outside its range, and throws on a frame that is not Annex B', () => {
    expect(() => new RtpStream(20, 'x')).toThrow(RangeError);
    expect(() => new RtpStream(1400, 'x').packetize(Buffer.from([1, 2, 3]), 0, false, 0)).toThrow();
  });

  it('moves a frame to other interleaved channels without touching the original', () => {
    const stream = new RtpStream(500, 'x');
    const frame = stream.packetize(accessUnit([[0x65, 1200]]), 0, true, 0);
    const moved = withChannels(frame, 4);
    expect([...records(moved)].map((r) => r.channel)).toEqual([5, 4, 4, 4]);
    expect([...records(frame)].map((r) => r.channel)).toEqual([1, 0, 0, 0]);
  });
});

describe('parseRtcp', () => {
  const rr = Buffer.from([0x80, 201, 0, 1, 1, 2, 3, 4]);
  const bye = Buffer.from([0x81, 203, 0, 1, 1, 2, 3, 4]);
  it('reads receiver reports and BYE, checking every length', () => {
    expect(parseRtcp(rr)).toEqual({ reports: 1, bye: false });
    expect(parseRtcp(Buffer.concat([rr, bye]))).toEqual({ reports: 1, bye: true });
    expect(parseRtcp(bye)).toBeNull(); // must start with SR or RR
    expect(parseRtcp(rr.subarray(0, 6))).toBeNull();
    expect(parseRtcp(Buffer.from([0x80, 201, 0xff, 0xff, 0, 0, 0, 0]))).toBeNull();
    expect(parseRtcp(Buffer.from([0x40, 201, 0, 1, 0, 0, 0, 0]))).toBeNull(); // version 1
    expect(parseRtcp(Buffer.from([0x80, 96, 0, 1, 0, 0, 0, 0]))).toBeNull(); // RTP, not RTCP
    expect(parseRtcp(Buffer.alloc(0))).toBeNull();
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(
        Array.from({ length: 1 + (i % 64) }, () => Math.floor(Math.random() * 256)),
      );
      const result = parseRtcp(junk);
      expect(result === null || result.reports >= 1).toBe(true);
    }
  });
});
