import { describe, expect, it } from 'vitest';
import {
  ChannelSpecError,
  formatChannel,
  MAX_CHANNELS,
  parseChannels,
  planRings,
  RAW_RING_SLOTS,
  type RingSize,
  rawFrameBytes,
  resolveChannels,
  ringName,
} from './channels';

const DEFAULTS = { width: 1920, height: 1080, fps: undefined, bitrateKbps: 4000, gop: 30 };

function errorOf(spec: string): string {
  try {
    parseChannels(spec);
  } catch (err) {
    expect(err).toBeInstanceOf(ChannelSpecError);
    return (err as Error).message;
  }
  throw new Error(`expected ${spec} to be refused`);
}

describe('parseChannels', () => {
  it("reads the seed's three channels and a raw ML channel", () => {
    expect(parseChannels('1920x1080@30,1280x720@30:bitrate=2000:gop=60,640x640@15:rgb')).toEqual([
      { width: 1920, height: 1080, fps: 30, format: 'h264' },
      { width: 1280, height: 720, fps: 30, format: 'h264', bitrateKbps: 2000, gop: 60 },
      { width: 640, height: 640, fps: 15, format: 'rgb' },
    ]);
    expect(parseChannels('640x480@30,320x320@15:rgbp')[1]).toEqual({
      width: 320,
      height: 320,
      fps: 15,
      format: 'rgbp',
    });
    expect(parseChannels(['640x480@15:nv12:shm=8m:slots=4'].map((s) => `320x240@30,${s}`))).toEqual(
      [
        { width: 320, height: 240, fps: 30, format: 'h264' },
        {
          width: 640,
          height: 480,
          fps: 15,
          format: 'nv12',
          shmBytes: 8 * 1024 * 1024,
          shmSlots: 4,
        },
      ],
    );
  });

  it('reads back what formatChannel writes', () => {
    const requests = parseChannels(
      '1280x720@25:h264:bitrate=900:gop=50:shm=1m:slots=8,64x64@5:nv12',
    );
    expect(parseChannels(requests.map(formatChannel))).toEqual(requests);
  });

  it.each([
    ['', 'no channel given'],
    ['1920x1080', 'channel 0 "1920x1080": want WIDTHxHEIGHT@FPS first, e.g. 1280x720@30'],
    ['1921x1080@30', 'channel 0 "1921x1080@30": width must be an even integer 16..4096, got 1921'],
    ['640x8@30', 'channel 0 "640x8@30": height must be an even integer 16..4096, got 8'],
    ['640x480@0', 'channel 0 "640x480@0": fps must be an integer 1..120, got 0'],
    [
      '640x480@30,320x240@30:yuv',
      'channel 1 "320x240@30:yuv": unknown option "yuv" (want h264, rgb, nv12, rgbp, bitrate=KBPS, gop=N, shm=BYTES, slots=N)',
    ],
    [
      '640x480@30:bitrate=fast',
      'channel 0 "640x480@30:bitrate=fast": bitrate= must be an integer 64..100000 (kbit/s), got fast',
    ],
    ['640x480@30:gop=0', 'channel 0 "640x480@30:gop=0": gop= must be an integer 1..3600, got 0'],
    [
      '640x480@30:shm=1k',
      'channel 0 "640x480@30:shm=1k": shm= must be bytes 64k..1024m (an integer, or with a k or m suffix), got 1k',
    ],
    [
      '640x480@30:slots=1',
      'channel 0 "640x480@30:slots=1": slots= must be an integer 2..65536, got 1',
    ],
    ['640x480@30:rgb:nv12', 'channel 0 "640x480@30:rgb:nv12": option nv12 given twice'],
    [
      '640x480@30,320x320@15:rgb:bitrate=500',
      'channel 1 "320x320@15:rgb:bitrate=500": bitrate= and gop= apply to h264 channels, not rgb (raw pixels)',
    ],
    [
      '640x640@15:rgb',
      'channel 0 "640x640@15:rgb" must be h264: v1.0 clients (no ?channel) and the v1.0 ring name get channel 0',
    ],
    [
      Array(MAX_CHANNELS + 1)
        .fill('64x64@5')
        .join(','),
      `${MAX_CHANNELS + 1} channels given, at most ${MAX_CHANNELS}`,
    ],
  ])('refuses %j in one line: %s', (spec, message) => {
    const got = errorOf(spec);
    expect(got).toBe(message);
    expect(got).not.toContain('\n');
  });
});

describe('resolveChannels', () => {
  it('without --channels is one channel, exactly the single-stream settings', () => {
    expect(resolveChannels(undefined, DEFAULTS)).toEqual([
      { id: 0, width: 1920, height: 1080, fps: 0, format: 'h264', bitrateKbps: 4000, gop: 30 },
    ]);
  });

  it('scales the default bitrate by pixels from channel 0 and leaves raw channels without one', () => {
    const channels = resolveChannels(
      parseChannels('1920x1080@30,1280x720@30,640x480@15,640x640@15:rgb'),
      DEFAULTS,
    );
    expect(channels.map((c) => [c.id, c.bitrateKbps, c.gop])).toEqual([
      [0, 4000, 30],
      [1, 1778, 30],
      [2, 593, 30],
      [3, 0, 0],
    ]);
    expect(resolveChannels(parseChannels('1920x1080@30,16x16@1'), DEFAULTS)[1]?.bitrateKbps).toBe(
      64,
    );
  });

  it('names rings and sizes raw frames', () => {
    expect(ringName('/video_stream', 2)).toBe('/video_stream_ch2');
    expect(rawFrameBytes({ width: 640, height: 640, format: 'rgb' })).toBe(1_228_800);
    expect(rawFrameBytes({ width: 640, height: 480, format: 'nv12' })).toBe(460_800);
    expect(rawFrameBytes({ width: 640, height: 640, format: 'rgbp' })).toBe(1_228_800);
    expect(rawFrameBytes({ width: 640, height: 480, format: 'h264' })).toBe(0);
  });
});

describe('planRings', () => {
  // What cam_shm.h computes (ringBytesFor), stated here so the test needs no addon.
  const ringBytesFor = (slots: number, frame: number) =>
    Math.ceil(
      (Math.ceil((2304 + slots * 64) / 4096) * 4096 + slots * Math.ceil(frame / 64) * 64) / 4096,
    ) * 4096;
  const budget = { totalBytes: 16 * 1024 * 1024, slots: 32 };

  it('gives one channel the whole budget, as before channels', () => {
    expect(planRings(resolveChannels(undefined, DEFAULTS), budget, ringBytesFor)).toEqual([budget]);
  });

  it('shares the budget among H.264 channels by pixels and sizes raw rings for 4 pictures', () => {
    const channels = resolveChannels(
      parseChannels('1920x1080@30,1280x720@30,640x480@15,640x640@15:rgb,320x240@5:nv12:slots=2'),
      DEFAULTS,
    );
    const rings = planRings(channels, budget, ringBytesFor);
    expect(rings.map((r) => r.slots)).toEqual([32, 32, 32, RAW_RING_SLOTS, 2]);
    const h264 = rings.slice(0, 3).reduce((n, r) => n + r.totalBytes, 0);
    expect(h264).toBeLessThanOrEqual(budget.totalBytes);
    expect(h264).toBeGreaterThan(budget.totalBytes - 3 * 4096);
    expect((rings[0] as RingSize).totalBytes / (rings[1] as RingSize).totalBytes).toBeCloseTo(
      2.25,
      1,
    );
    expect((rings[3] as RingSize).totalBytes).toBe(ringBytesFor(4, 640 * 640 * 3));
    expect((rings[4] as RingSize).totalBytes).toBe(ringBytesFor(2, (320 * 240 * 3) / 2));
  });

  it('takes shm= and slots= of a channel as given, out of the shared budget', () => {
    const channels = resolveChannels(
      parseChannels('1920x1080@30:shm=4m:slots=8,1280x720@30'),
      DEFAULTS,
    );
    expect(planRings(channels, budget, ringBytesFor)).toEqual([
      { totalBytes: 4 * 1024 * 1024, slots: 8 },
      { totalBytes: budget.totalBytes, slots: 32 },
    ]);
  });
});
