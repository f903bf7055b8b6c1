import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShmWriter } from '@cam/shm';
import { describe, expect, it } from 'vitest';
import { rawRgbRing, rgbPicture, segmentsOfThisTest } from '../../../packages/shm/test/helpers';
import { encodePnm, savePicture } from './picture';

const segmentName = segmentsOfThisTest();
const dir = mkdtempSync(join(tmpdir(), 'cam-picture-'));

describe('raw mode', () => {
  it('writes the next picture of a raw RGB ring as a PPM', async () => {
    const [w, h] = [24, 10];
    const name = segmentName();
    const writer = rawRgbRing(name, w, h);
    const picture = rgbPicture(w, h, 13);
    const path = join(dir, 'a.ppm');
    const saved = savePicture(name, path);
    setTimeout(() => writer.publish(picture, Date.now(), true), 50);
    expect(await saved).toEqual({ seq: 1, width: w, height: h, pixelFormat: 'rgb24' });
    writer.close();
    const ppm = readFileSync(path);
    const header = Buffer.from(`P6\n${w} ${h}\n255\n`);
    expect(ppm.subarray(0, header.length)).toEqual(header);
    expect(Buffer.compare(ppm.subarray(header.length), Buffer.from(picture))).toBe(0);
  });

  it('reads rows through the stride and interleaves planar RGB; NV12 gives its luma', () => {
    // 2x2 RGB planar with a stride of 4: each plane 2 rows of 4 bytes, 2 of them pixels.
    const planar = Uint8Array.of(
      1,
      2,
      0,
      0,
      3,
      4,
      0,
      0,
      11,
      12,
      0,
      0,
      13,
      14,
      0,
      0,
      21,
      22,
      0,
      0,
      23,
      24,
      0,
      0,
    );
    const pnm = encodePnm({
      pixelFormat: 'rgbPlanar',
      width: 2,
      height: 2,
      stride: 4,
      pixels: planar,
    });
    expect([...pnm.subarray(-12)]).toEqual([1, 11, 21, 2, 12, 22, 3, 13, 23, 4, 14, 24]);
    const nv12 = Uint8Array.of(5, 6, 9, 7, 8, 9, 100, 101, 9);
    const pgm = encodePnm({ pixelFormat: 'nv12', width: 2, height: 2, stride: 3, pixels: nv12 });
    expect(pgm.toString('latin1', 0, 11)).toBe('P5\n2 2\n255\n');
    expect([...pgm.subarray(-4)]).toEqual([5, 6, 7, 8]);
  });

  it('refuses an H.264 ring', async () => {
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 1 << 16, slots: 4 });
    writer.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 30 });
    await expect(savePicture(name, join(dir, 'b.ppm'))).rejects.toThrow(
      `${name} is not a raw-picture ring (codec avc1.64000d): --picture needs a channel like 640x640@15:rgb`,
    );
    writer.close();
  });
});
