import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type NalUnit, splitNalUnits } from '@cam/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rejection } from '../test/errors.js';
import { decodeH264 } from '../test/ffmpeg.js';
import { type Fixtures, fixtures } from '../test/fixtures.js';
import { expectFramingRoom } from '../test/room.js';
import { openCamera } from './camera.js';
import {
  MAX_REPLAY_ACCESS_UNITS,
  MAX_REPLAY_NAL_UNITS,
  readRecording,
  splitAccessUnits,
} from './file-replay.js';
import type { CameraOptions } from './options.js';
import type { CameraInfo, EncodedFrame } from './types.js';

/** Opens a file camera, takes `count` frames, closes; the median spacing of their timestamps. */
async function replayed(
  options: CameraOptions,
  count: number,
): Promise<{ info: CameraInfo; medianIntervalMs: number }> {
  const camera = await openCamera(options);
  const stamps: number[] = [];
  camera.on('frame', (frame) => {
    stamps.push(frame.timestampMs);
    if (stamps.length === count) void camera.close();
  });
  await new Promise<void>((resolve) => camera.once('close', resolve));
  const intervals = stamps.slice(1).map((t, i) => t - (stamps[i] as number));
  intervals.sort((a, b) => a - b);
  return { info: camera.info, medianIntervalMs: intervals[intervals.length >> 1] as number };
}

let files: Fixtures;
let gop10: string;
let sliced: string;
let fast: string;

beforeAll(() => {
  files = fixtures();
  gop10 = files.make('gop10.h264', 30, 'keyint=10:min-keyint=10:scenecut=0:bframes=2');
  sliced = files.make('sliced.h264', 12, 'keyint=6:min-keyint=6:scenecut=0:slices=3');
  // gop10 with its SPS timing rewritten by ffmpeg to 1000 ticks per second: 500 frames per second.
  fast = join(files.dir, 'fast.h264');
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-nostdin', '-i', gop10, '-c', 'copy'],
    ...['-bsf:v', 'h264_metadata=tick_rate=1000', '-f', 'h264', fast],
  ]);
});
afterAll(() => files.remove());

describe('splitAccessUnits', () => {
  it('gives one access unit per picture, parameter sets grouped with the IDR', () => {
    const recording = splitAccessUnits(readFileSync(gop10), 'gop10');
    // The fixtures are 25 fps: the SPS's VUI timing says so.
    expect(recording).toMatchObject({ width: 320, height: 240, gop: 10, fps: 25 });
    expect(recording.units).toHaveLength(30);
    expect(recording.units.map((u) => u.keyframe)).toEqual(
      Array.from({ length: 30 }, (_, i) => i % 10 === 0),
    );
    for (const unit of recording.units) {
      const types = splitNalUnits(unit.data).map((n) => n.type);
      expect(types.filter((t) => t === 1 || t === 5)).toHaveLength(1);
      if (unit.keyframe) expect(types).toEqual(expect.arrayContaining([7, 8, 5]));
    }
    expect(Buffer.concat(recording.units.map((u) => u.data))).toEqual(readFileSync(gop10));
  });

  it('keeps the slices of one picture together', () => {
    const recording = splitAccessUnits(readFileSync(sliced), 'sliced');
    expect(recording.units).toHaveLength(12);
    for (const unit of recording.units) {
      const slices = splitNalUnits(unit.data).filter((n) => n.type === 1 || n.type === 5);
      expect(slices).toHaveLength(3);
    }
  });

  it('starts at the first keyframe', () => {
    const whole = splitAccessUnits(readFileSync(gop10), 'gop10').units;
    const tail = Buffer.concat(whole.slice(3).map((u) => u.data));
    const recording = splitAccessUnits(tail, 'tail');
    expect(recording.units).toHaveLength(20);
    expect(recording.units[0]?.keyframe).toBe(true);
  });

  it('does not trust a frame rate outside CAMERA_LIMITS.fps', () => {
    expect(splitAccessUnits(readFileSync(gop10), 'gop10').fps).toBe(25);
    expect(splitAccessUnits(readFileSync(fast), 'fast').fps).toBeUndefined();
  });

  it('rejects a stream without a keyframe, and bytes that are not H.264', () => {
    const units = splitAccessUnits(readFileSync(gop10), 'gop10').units;
    const noIdr = Buffer.concat(units.slice(1, 9).map((u) => u.data));
    expect(() => splitAccessUnits(noIdr, 'p-only')).toThrow(/p-only: has no IDR/);
    expect(() => splitAccessUnits(Buffer.from('hello world'), 'text')).toThrow(
      expect.objectContaining({ code: 'FILE_INVALID', parameter: 'source' }),
    );
  });

  it('rejects a recording whose SPS is cut short, naming the file', () => {
    const stream = readFileSync(gop10);
    const sps = splitNalUnits(stream).find((n) => n.type === 7) as NalUnit;
    const cutAt = sps.offset + sps.startCodeLength + 3; // header, profile_idc, constraint flags
    const end = sps.offset + sps.startCodeLength + sps.data.length;
    const broken = Buffer.concat([stream.subarray(0, cutAt), stream.subarray(end)]);
    expect(() => splitAccessUnits(broken, 'cut-sps')).toThrow(
      expect.objectContaining({
        code: 'FILE_INVALID',
        parameter: 'source',
        message: expect.stringMatching(/^file cut-sps: its SPS is unreadable: SPS truncated/),
      }),
    );
  });
});

describe('splitAccessUnits ceilings', () => {
  it('refuses more NAL units than MAX_REPLAY_NAL_UNITS in one line, without a parse object per NAL', () => {
    // 5-byte NAL units (an access unit delimiter each): 6 MB of them.
    const aud = Buffer.from([0, 0, 1, 9, 0x10]);
    const stream = Buffer.concat(Array.from({ length: MAX_REPLAY_NAL_UNITS + 1 }, () => aud));
    expect(() => splitAccessUnits(stream, 'tiny-nals')).toThrow(
      expect.objectContaining({
        code: 'FILE_INVALID',
        message: `file tiny-nals: more than ${MAX_REPLAY_NAL_UNITS} NAL units (a replay holds at most that many)`,
      }),
    );
  });

  it('refuses more access units than MAX_REPLAY_ACCESS_UNITS in one line', () => {
    // Each pair (delimiter, slice with first_mb_in_slice 0) is one picture.
    const picture = Buffer.from([0, 0, 1, 9, 0x10, 0, 0, 1, 1, 0x80]);
    const count = MAX_REPLAY_ACCESS_UNITS + 1;
    const stream = Buffer.concat(Array.from({ length: count }, () => picture));
    expect(() => splitAccessUnits(stream, 'tiny-frames')).toThrow(
      expect.objectContaining({
        code: 'FILE_INVALID',
        message: `file tiny-frames: more than ${MAX_REPLAY_ACCESS_UNITS} frames (a replay holds at most that many)`,
      }),
    );
  });
});

describe('readRecording', () => {
  it('names the file and the reason', async () => {
    const missing = await rejection(readRecording(join(files.dir, 'nope.h264')));
    expect(missing).toMatchObject({ code: 'FILE_NOT_FOUND', parameter: 'source' });
    expect(missing.message).toMatch(/nope\.h264.*ENOENT/);
    expect((await rejection(readRecording(files.dir))).code).toBe('FILE_INVALID');
    const empty = join(files.dir, 'empty.h264');
    writeFileSync(empty, '');
    expect((await rejection(readRecording(empty))).code).toBe('FILE_INVALID');
  });

  it('reads no more than the ceiling, whatever size the file claims', async () => {
    // /proc files say they hold 0 bytes: a check of the size alone lets any length through.
    const proc = await rejection(readRecording('/proc/self/maps', 64));
    expect(proc).toMatchObject({ code: 'FILE_TOO_LARGE', parameter: 'source' });
    expect(proc.message).toBe(
      'file /proc/self/maps: more than the 64 bytes a replay holds in memory',
    );
    const size = readFileSync(gop10).length;
    expect((await rejection(readRecording(gop10, size - 1))).code).toBe('FILE_TOO_LARGE');
    expect((await readRecording(gop10, size)).units).toHaveLength(30);
  });
});

describe('file source', () => {
  it('replays the recording looped and paced, with fresh timestamps', async () => {
    const recording = splitAccessUnits(readFileSync(gop10), 'gop10');
    const openedAt = Date.now();
    const camera = await openCamera({ source: `file:${gop10}`, fps: 100 });
    expect(camera.info).toMatchObject({
      source: `file:${gop10}`,
      backend: 'file',
      width: 320,
      height: 240,
      fps: 100,
      gop: 10,
    });
    const frames: EncodedFrame[] = [];
    camera.on('frame', (frame) => {
      frames.push(frame);
      if (frames.length === 75) void camera.close();
    });
    await new Promise<void>((resolve) => camera.once('close', resolve));

    expect(frames).toHaveLength(75);
    frames.forEach((frame, i) => {
      expectFramingRoom(frame);
      expect(frame.data.equals(recording.units[i % 30]?.data as Buffer)).toBe(true);
      expect(frame.sequence).toBe(i);
      expect(frame.keyframe).toBe(i % 10 === 0);
      expect(frame.timestampMs).toBeGreaterThanOrEqual(
        i ? (frames[i - 1] as EncodedFrame).timestampMs : openedAt,
      );
    });
    // Paced: frame n is due n intervals after the schedule's start, and frame 0 comes at most one
    // interval after it (later, the schedule restarts from frame 0), so frame 74 comes at least
    // 73 intervals after frame 0 (less 2 ms of clock rounding).
    const span = (frames[74] as EncodedFrame).timestampMs - (frames[0] as EncodedFrame).timestampMs;
    expect(span).toBeGreaterThanOrEqual(728);
    const decoded = await decodeH264(frames.map((f) => f.data));
    expect(decoded).toEqual({ errors: '', frames: 75, width: 320, height: 240 });
    expect(camera.stats()).toMatchObject({ frames: 75, keyframes: 8, dropped: 0, encodeMs: null });
  });

  it('jumps to the next keyframe of the recording on requestKeyframe(), and says it cannot make one', async () => {
    const camera = await openCamera({ source: `file:${gop10}`, fps: 120 });
    // It cannot make one: a server must not promise a joiner a fresh IDR from it.
    expect(camera.info.keyframeOnRequest).toBe(false);
    const frames: EncodedFrame[] = [];
    camera.on('frame', (frame) => {
      frames.push(frame);
      if (frames.length === 3) camera.requestKeyframe();
      if (frames.length === 6) void camera.close();
    });
    await new Promise<void>((resolve) => camera.once('close', resolve));
    expect(frames.map((f) => [f.sequence, f.keyframe])).toEqual([
      [0, true],
      [1, false],
      [2, false],
      [10, true],
      [11, false],
      [12, false],
    ]);
    expect(camera.stats().droppedReasons).toEqual({ keyframeRequest: 7 });
    expect((await decodeH264(frames.map((f) => f.data))).errors).toBe('');
  });

  it("replays at the recording's own 25 fps unless fps is given", async () => {
    // Which rate was chosen, seen in the frames' spacing: the median interval (robust to a
    // stalled timer on a busy machine) is nearer 40 ms (25 fps) or 33.3 ms (30 fps).
    const nearer25 = (ms: number) => Math.abs(ms - 40) < Math.abs(ms - 1000 / 30);
    const own = await replayed({ source: `file:${gop10}` }, 21);
    expect(own.info.fps).toBe(25);
    expect(nearer25(own.medianIntervalMs)).toBe(true);
    const given = await replayed({ source: `file:${gop10}`, fps: 30 }, 21);
    expect(given.info.fps).toBe(30);
    expect(nearer25(given.medianIntervalMs)).toBe(false);
  });

  it('replays at 30 fps when the recording states no trusted rate', async () => {
    const camera = await openCamera({ source: `file:${fast}` });
    expect(camera.info.fps).toBe(30);
    await camera.close();
  });

  it('rejects a missing file naming the source', async () => {
    const error = await rejection(openCamera({ source: 'file:/nonexistent/x.h264' }));
    expect(error).toMatchObject({ code: 'FILE_NOT_FOUND', parameter: 'source' });
  });
});
