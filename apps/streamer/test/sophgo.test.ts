// The streamer on `--source sophgo` against the stand-in Sophgo libraries (TEST DOUBLES, built
// by @cam/sdk-native's test/standin.ts: no board here): what reaches a WebSocket client decodes;
// a raw RGB planar channel (a VPSS channel, what the NPU takes) reaches its ring.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyframe } from '@cam/protocol';
import { ShmReader } from '@cam/shm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  encodeClip,
  leaked,
  makeRoot,
  standinEnv,
} from '../../../packages/sdk-native/test/standin';
import { createLogger } from '../src/log';
import { startStreamer } from '../src/streamer';
import { httpGet, openClient, waitFor } from './clients';
import { concat, ffmpegDecode } from './h264';

const dir = mkdtempSync(join(tmpdir(), 'cam-streamer-sophgo-'));
const log = join(dir, 'standin.log');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  encodeClip(dir, 640, 360);
  // The backend reads these when the camera opens (CAM_SOPHGO_ROOT: docs/DEVICE.md).
  Object.assign(process.env, standinEnv(makeRoot('glibc', dir), dir, log));
}, 120_000);

it('streams the reCamera camera (stand-ins) to a client, decodable, and frees it on stop', async () => {
  const logs: string[] = [];
  const streamer = await startStreamer(
    {
      source: 'sophgo',
      width: 640,
      height: 360,
      fps: 30,
      bitrateKbps: 1000,
      gop: 30,
      host: '127.0.0.1',
      port: 0,
      shmName: null,
      server: 'ws',
    },
    { log: createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) }) },
  );
  try {
    expect(logs.join('\n')).toMatch(/source=sophgo/);
    const client = await openClient(`ws://127.0.0.1:${streamer.port}/`);
    await waitFor('30 frames', () => client.messages.length >= 30);
    const units = client.messages.map((m) => m.data.subarray(0, m.data.length - 8));
    expect(isKeyframe(units[0] as Uint8Array)).toBe(true);
    expect(await ffmpegDecode(concat(units))).toEqual({ errors: '', frames: units.length });
    client.ws.close();
  } finally {
    await streamer.stop('test over');
  }
  expect(leaked(log)).toEqual([]);
});

it('writes a raw RGB planar channel from VPSS into its ring: format, size, stride and pixels', async () => {
  const shmName = `/cam_sophgo_${process.pid}`;
  const [w, h] = [64, 48];
  const streamer = await startStreamer({
    source: 'sophgo',
    channels: `640x360@30,${w}x${h}@15:rgbp` as never,
    host: '127.0.0.1',
    port: 0,
    shmName,
    server: 'ws',
  });
  try {
    const reader = ShmReader.open(`${shmName}_ch1`, { start: 'next' });
    try {
      const frame = await reader.next();
      if (!frame) throw new Error('no raw frame');
      const picture = reader.picture(frame);
      expect(picture).toMatchObject({ pixelFormat: 'rgbPlanar', width: w, height: h, stride: w });
      expect(picture.pixels.length).toBe(3 * w * h);
      // The stand-in's pixel (standin_pixel in cvi-standin.c) of plane, row, column for its
      // picture number; byte 0 of the R plane is that number.
      const pixels = Buffer.from(picture.pixels);
      const seq = pixels[0] as number;
      const want = Buffer.alloc(3 * w * h);
      for (let plane = 0; plane < 3; plane++) {
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            want[plane * w * h + y * w + x] = (seq + x * (plane + 1) + y * 3 + plane * 50) & 255;
          }
        }
      }
      expect(pixels.equals(want)).toBe(true);
      expect(frame.isValid()).toBe(true);
    } finally {
      reader.close();
    }
  } finally {
    await streamer.stop('test over');
  }
  expect(leaked(log)).toEqual([]);
});

it('counts a raw picture it cannot read as malformed, in /metrics, writes none of it, and releases every one', async () => {
  // The stand-in's CVI_SYS_MmapCache fails: no raw picture can be read (H.264 is unaffected).
  process.env.STANDIN_FAIL = 'CVI_SYS_MmapCache';
  try {
    const streamer = await startStreamer({
      source: 'sophgo',
      channels: '640x360@30,64x48@15:rgbp' as never,
      host: '127.0.0.1',
      port: 0,
      shmName: `/cam_sophgo_bad_${process.pid}`,
      server: 'ws',
    });
    try {
      const drops = () => streamer.metrics.render();
      const malformed = (text: string) =>
        Number(/^cam_camera_drops_total\{reason="malformed"\} (\d+)$/m.exec(text)?.[1] ?? 0);
      await waitFor('5 raw pictures refused', () => malformed(drops()) >= 5);
      const { body } = await httpGet(`http://127.0.0.1:${streamer.port}/metrics`);
      expect(malformed(body)).toBeGreaterThanOrEqual(5);
      // None of the raw channel's reached its ring; channel 0's H.264 did.
      expect(body).not.toMatch(/^cam_channel_shm_frames_total\{channel="1"\} [1-9]/m);
      expect(body).toMatch(/^cam_channel_shm_frames_total\{channel="0"\} [1-9]/m);
    } finally {
      await streamer.stop('test over');
    }
  } finally {
    delete process.env.STANDIN_FAIL;
  }
  expect(leaked(log)).toEqual([]);
});
