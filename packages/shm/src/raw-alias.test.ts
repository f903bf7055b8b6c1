// Raw-picture rings (pixel format and stride in the stream info) and a second name for a
// segment (the v1.0 name /video_stream of channel 0's ring).
import { existsSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rawRgbRing, rgbInfo, rgbPicture, segmentsOfThisTest } from '../test/helpers';
import { ringBytesFor, ShmError, ShmReader, ShmWriter, shmLayout } from './index';

const name = segmentsOfThisTest();

describe('raw-picture ring', () => {
  it('says its pixel format, size and stride, and gives a typed-array view of one picture', async () => {
    const n = name();
    const [w, h] = [64, 48];
    const bytes = w * h * 3;
    const writer = rawRgbRing(n, w, h, 4);
    expect(writer.stats().slotBytes).toBeGreaterThanOrEqual(bytes);
    expect(writer.stats().totalBytes).toBe(ringBytesFor(4, bytes));
    const reader = ShmReader.open(n);
    expect(reader.streamInfo()).toMatchObject(rgbInfo(w, h));
    const sent = rgbPicture(w, h, 31, 7);
    writer.publish(sent, 1_700_000_000_000, true);
    const frame = await reader.next();
    if (!frame) throw new Error('no frame');
    const pic = reader.picture(frame);
    expect(pic).toMatchObject({ pixelFormat: 'rgb24', width: w, height: h, stride: w * 3 });
    expect(pic.pixels).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(pic.pixels).equals(Buffer.from(sent))).toBe(true);
    expect(frame.isValid()).toBe(true);
    // A frame that is not one picture of the ring's geometry is refused, not misread.
    writer.publish(sent.subarray(0, bytes - 3), 1_700_000_000_001, true);
    const short = await reader.next();
    expect(() => reader.picture(short as never)).toThrow(
      /has 9213 bytes, a 64x48 rgb24 picture with stride 192 has 9216/,
    );
    reader.close();
    writer.close();
  });

  it('refuses a stride with an encoded ring and a raw format without one', () => {
    const writer = ShmWriter.create(name(), { totalBytes: 1 << 16, slots: 4 });
    const base = { codec: 'x', width: 4, height: 4, fps: 1 };
    expect(() => writer.setStreamInfo({ ...base, stride: 12 })).toThrow(ShmError);
    expect(() => writer.setStreamInfo({ ...base, pixelFormat: 'nv12' })).toThrow(ShmError);
    expect(() => writer.setStreamInfo({ ...base, pixelFormat: 'yuv' as never, stride: 4 })).toThrow(
      /bad stream info/,
    );
    writer.close();
  });

  it('takes the pixel format values from cam_shm.h, minor version 1', () => {
    const l = shmLayout();
    expect(l.minorVersion).toBe(1);
    expect(l.pixelFormats).toEqual({ encoded: 0, rgb24: 1, nv12: 2, rgbPlanar: 3 });
    expect(l.header).toMatchObject({ minor_version: 52, pixel_format: 2240, stride: 2244 });
  });
});

describe('second name (alias)', () => {
  it('maps the same segment under both names, frames written once; close removes both', async () => {
    const n = name();
    const alias = name();
    const writer = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4, alias });
    expect(statSync(`/dev/shm${alias}`).ino).toBe(statSync(`/dev/shm${n}`).ino);
    const a = ShmReader.open(n, { start: 'oldest' });
    const b = ShmReader.open(alias, { start: 'oldest' });
    for (let i = 1; i <= 3; i++) writer.publish(Uint8Array.of(i, i, i), 1000 + i, false);
    for (let i = 1; i <= 3; i++) {
      const [fa, fb] = [await a.next(), await b.next()];
      expect([fa?.seq, fb?.seq]).toEqual([i, i]);
      expect(fb?.data).toEqual(fa?.data);
    }
    expect(writer.stats().published).toBe(3);
    a.close();
    b.close();
    writer.close();
    expect(existsSync(`/dev/shm${n}`)).toBe(false);
    expect(existsSync(`/dev/shm${alias}`)).toBe(false);
  });

  it('a restarted writer replaces both names and a reader of the alias resyncs', async () => {
    const n = name();
    const alias = name();
    const first = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4, alias });
    const reader = ShmReader.open(alias, { staleAfterMs: 200 });
    const resync = new Promise((resolve) => reader.once('resync', resolve));
    first.close();
    const second = ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4, alias });
    expect(statSync(`/dev/shm${alias}`).ino).toBe(statSync(`/dev/shm${n}`).ino);
    const next = reader.next();
    second.publish(Uint8Array.of(9), 5, false);
    await resync;
    expect((await next)?.data).toEqual(Uint8Array.of(9));
    reader.close();
    second.close();
  });

  it("refuses an alias a live writer holds, and leaves that writer's segment alone", () => {
    const owner = name();
    const holder = ShmWriter.create(owner, { totalBytes: 1 << 16, slots: 4 });
    const n = name();
    expect(() => ShmWriter.create(n, { totalBytes: 1 << 16, slots: 4, alias: owner })).toThrow(
      expect.objectContaining({ code: 'BUSY' }),
    );
    expect(existsSync(`/dev/shm${n}`)).toBe(false);
    expect(existsSync(`/dev/shm${owner}`)).toBe(true);
    holder.close();
  });
});
