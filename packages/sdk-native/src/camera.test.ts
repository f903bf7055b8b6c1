import { spawnSync } from 'node:child_process';
import { splitNalUnits } from '@cam/protocol';
import { describe, expect, it } from 'vitest';
import { decodeH264 } from '../test/ffmpeg.js';
import { expectFramingRoom } from '../test/room.js';
import { type Camera, openCamera } from './camera.js';
import { CameraError } from './errors.js';
import type { EncodedFrame } from './types.js';

/** Collects frames until `count` have arrived (or `until` says stop), then closes the camera. */
async function collect(
  camera: Camera,
  count: number,
  onFrame: (frame: EncodedFrame, index: number) => void = () => {},
): Promise<{ frames: EncodedFrame[]; receivedAt: number[] }> {
  const frames: EncodedFrame[] = [];
  const receivedAt: number[] = [];
  camera.on('frame', (frame) => {
    frames.push(frame);
    receivedAt.push(Date.now());
    onFrame(frame, frames.length - 1);
    if (frames.length === count) void camera.close();
  });
  await new Promise<void>((resolve) => camera.once('close', resolve));
  return { frames, receivedAt };
}

function nalTypes(frame: EncodedFrame): number[] {
  return splitNalUnits(frame.data).map((nal) => nal.type);
}

describe('test source', () => {
  it('produces 300 frames ffmpeg decodes cleanly, with capture timestamps and SPS/PPS per IDR', async () => {
    const openedAt = Date.now();
    const camera = await openCamera({ source: 'test', width: 320, height: 240, fps: 120, gop: 30 });
    expect(camera.info).toMatchObject({
      source: 'test',
      backend: 'test',
      width: 320,
      height: 240,
      fps: 120,
    });
    expect(camera.info.encoder).toMatch(/^OpenH264 \d+\.\d+\.\d+$/);
    const { frames, receivedAt } = await collect(camera, 300);

    expect(frames.length).toBeGreaterThanOrEqual(300); // frames queued before close() still arrive
    const decoded = await decodeH264(frames.map((f) => f.data));
    expect(decoded).toEqual({ errors: '', frames: frames.length, width: 320, height: 240 });

    frames.forEach((frame, i) => {
      expectFramingRoom(frame);
      expect(frame.timestampMs).toBeGreaterThanOrEqual(openedAt);
      expect(frame.timestampMs).toBeLessThanOrEqual(receivedAt[i] as number);
      if (i > 0) {
        const previous = frames[i - 1] as EncodedFrame;
        expect(frame.sequence).toBeGreaterThan(previous.sequence);
        expect(frame.timestampMs).toBeGreaterThanOrEqual(previous.timestampMs);
      }
      const types = nalTypes(frame);
      expect(frame.keyframe).toBe(types.includes(5));
      if (frame.keyframe) expect(types.slice(0, 3)).toEqual([7, 8, 5]);
      else expect(types).toEqual([1]);
    });
    expect(frames[0]?.keyframe).toBe(true);
    const stats = camera.stats();
    expect(stats).toMatchObject({
      frames: frames.length,
      bytes: frames.reduce((n, f) => n + f.data.length, 0),
      keyframes: frames.filter((f) => f.keyframe).length,
    });
    // Without drops, IDRs come exactly every `gop` frames; with drops, sequence numbers show it.
    if (stats.dropped === 0) {
      expect(frames.filter((f) => f.keyframe).map((f) => f.sequence)).toEqual(
        frames.filter((f) => f.sequence % 30 === 0).map((f) => f.sequence),
      );
    }
    expect(stats.encodeMs?.p50).toBeGreaterThan(0);
  });

  it('makes the next frame encoded after requestKeyframe() an IDR', async () => {
    const camera = await openCamera({
      source: 'test',
      width: 320,
      height: 240,
      fps: 30,
      gop: 3600,
    });
    expect(camera.info.keyframeOnRequest).toBe(true);
    const requests: number[] = [];
    const { frames } = await collect(camera, 40, (_frame, i) => {
      if (i % 8 === 4) {
        requests.push(Date.now());
        camera.requestKeyframe();
      }
    });
    expect(requests).toHaveLength(5);
    for (const requestedAt of requests) {
      // Frames captured after the request are encoded after it: the first of them is an IDR,
      // unless one captured in the same millisecond already was.
      const first = frames.findIndex((f) => f.timestampMs > requestedAt);
      const keyframe = frames.findIndex((f) => f.keyframe && f.timestampMs >= requestedAt);
      expect(first).toBeGreaterThan(0);
      expect(keyframe).toBeGreaterThan(0);
      expect(keyframe).toBeLessThanOrEqual(first);
    }
    // One IDR to start and one per request, unless JavaScript fell so far behind that frames
    // were dropped, which asks for a keyframe of its own.
    const keyframes = frames.filter((f) => f.keyframe).length;
    if (camera.stats().droppedReasons.queueFull) expect(keyframes).toBeGreaterThan(requests.length);
    else expect(keyframes).toBe(1 + requests.length);
    expect((await decodeH264(frames.map((f) => f.data))).errors).toBe('');
  });

  it('drops frames up to the next keyframe while JavaScript is blocked, and counts them', async () => {
    const camera = await openCamera({
      source: 'test',
      width: 160,
      height: 120,
      fps: 120,
      gop: 3600,
    });
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const { frames } = await collect(camera, 60, (_frame, i) => {
      // Blocks the JavaScript thread (without spinning) for 0.5 s: the native queue fills.
      if (i === 5) Atomics.wait(pause, 0, 0, 500);
    });
    const stats = camera.stats();
    expect(stats.droppedReasons.queueFull).toBeGreaterThanOrEqual(1);
    expect(stats.dropped).toBe(Object.values(stats.droppedReasons).reduce((a, b) => a + b, 0));
    // A gap made by dropping encoded frames resumes on a keyframe, so the stream stays
    // decodable. The only other gaps are capture slots the source skipped because it was late
    // (never encoded, so no reference is missing); they are counted as 'late', and on a loaded
    // machine they happen at 120 fps. So the slots missing before non-keyframes are all late ones.
    let missingBeforeDeltaFrames = 0;
    for (let i = 1; i < frames.length; i++) {
      const frame = frames[i] as EncodedFrame;
      const gap = frame.sequence - (frames[i - 1] as EncodedFrame).sequence - 1;
      if (gap > 0 && !frame.keyframe) missingBeforeDeltaFrames += gap;
    }
    expect(missingBeforeDeltaFrames).toBeLessThanOrEqual(stats.droppedReasons.late ?? 0);
    expect(
      frames.some((f, i) => i > 0 && f.sequence !== (frames[i - 1] as EncodedFrame).sequence + 1),
    ).toBe(true);
    const decoded = await decodeH264(frames.map((f) => f.data));
    expect(decoded.errors).toBe('');
    expect(decoded.frames).toBe(frames.length);
  });

  it('never skips frames to hold the bitrate, even far below what the picture needs', async () => {
    // 64 kbit/s cannot carry this pattern at 60 fps: OpenH264 with frame skipping on drops
    // nearly every frame here. Bounded by a timer too, so a skipping encoder fails, not hangs.
    const camera = await openCamera({
      source: 'test',
      width: 320,
      height: 240,
      fps: 60,
      bitrateKbps: 64,
      gop: 3600,
    });
    const limit = setTimeout(() => void camera.close(), 10_000);
    const { frames } = await collect(camera, 60);
    clearTimeout(limit);
    expect(camera.stats().droppedReasons.encoderSkip).toBeUndefined();
    expect(frames.length).toBeGreaterThanOrEqual(60);
  });

  it('gives the same picture as packed RGB and as RGB planar (R, G, B planes) from one capture', async () => {
    const [w, h] = [32, 24];
    const camera = await openCamera({
      source: 'test',
      streams: [
        { width: 64, height: 48, fps: 30 },
        { width: w, height: h, fps: 30, format: 'rgb' },
        { width: w, height: h, fps: 30, format: 'rgbp' },
      ],
    });
    expect(camera.info.streams.map((s) => s.format)).toEqual(['h264', 'rgb', 'rgbp']);
    const { frames } = await collect(camera, 30);
    const packed = frames.filter((f) => f.stream === 1);
    const planar = frames.filter((f) => f.stream === 2);
    let compared = 0;
    for (const p of planar) {
      const q = packed.find((f) => f.sequence === p.sequence);
      if (!q) continue;
      expect(p.keyframe).toBe(true);
      expect(p.data.length).toBe(3 * w * h);
      const deinterleaved = Buffer.alloc(3 * w * h);
      for (let i = 0; i < w * h; i++) {
        for (let c = 0; c < 3; c++) deinterleaved[c * w * h + i] = q.data[3 * i + c] as number;
      }
      expect(p.data.equals(deinterleaved), `capture ${p.sequence}`).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThan(5);
  });

  it('close() resolves once, after the close event, and stops frames', async () => {
    const camera = await openCamera({ source: 'test', width: 64, height: 48, fps: 60 });
    let closed = 0;
    camera.on('close', () => closed++);
    await new Promise((resolve) => camera.once('frame', resolve));
    await Promise.all([camera.close(), camera.close()]);
    expect(closed).toBe(1);
    const count = camera.stats().frames;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(camera.stats().frames).toBe(count);
  });
});

describe('listener exceptions', () => {
  it('are raised as uncaught exceptions, not swallowed by the native callback', () => {
    // A real process on the built package: the exception must end it like any uncaught one.
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = [
      `import { openCamera } from ${JSON.stringify(dist)};`,
      "const camera = await openCamera({ source: 'test', width: 64, height: 48 });",
      "camera.once('frame', () => { throw new Error('listener bug'); });",
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.stderr).toContain('Error: listener bug');
    expect(child.status).toBe(1);
  });
});

describe('openCamera', () => {
  it.each([
    [{ source: 'test', width: 641 }, 'width'],
    [{ source: 'test', height: 0 }, 'height'],
    [{ source: 'test', fps: 0 }, 'fps'],
    [{ source: 'test', bitrateKbps: 1 }, 'bitrateKbps'],
    [{ source: 'test', gop: -1 }, 'gop'],
    [{ source: 'webcam' }, 'source'],
  ])('rejects %j with a CameraError naming %s', async (options, parameter) => {
    const error = await openCamera(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CameraError);
    expect(error).toMatchObject({ code: 'INVALID_PARAMETER', parameter });
  });
});
