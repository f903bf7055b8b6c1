import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { thrown } from '../test/errors.js';
import { openCamera } from './camera.js';
import type { V4l2Device, V4l2Format } from './native.js';
import { chooseFormat, describeV4l2, pickSize, probeDevice } from './v4l2.js';

// Format lists as V4L2 drivers report them (a UVC webcam with H.264, one without, a capture
// card with a stepwise range). No camera exists on our machines to ask.
const yuyv: V4l2Format = {
  fourcc: 'YUYV',
  description: 'YUYV 4:2:2',
  sizes: [
    { width: 640, height: 480 },
    { width: 1280, height: 720 },
    { width: 1920, height: 1080 },
  ],
};
const mjpeg: V4l2Format = { ...yuyv, fourcc: 'MJPG', description: 'Motion-JPEG' };
const h264: V4l2Format = { ...yuyv, fourcc: 'H264', description: 'H.264' };
const device = (formats: V4l2Format[]): V4l2Device => ({
  driver: 'uvcvideo',
  card: 'USB Camera',
  busInfo: 'usb-0000:00:14.0-1',
  formats,
});

const dir = mkdtempSync(join(tmpdir(), 'cam-v4l2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pickSize', () => {
  it('takes the exact size when offered, else the nearest by area', () => {
    expect(pickSize(yuyv, { width: 1280, height: 720 })).toEqual({ width: 1280, height: 720 });
    expect(pickSize(yuyv, { width: 1024, height: 768 })).toEqual({ width: 1280, height: 720 });
    expect(pickSize(yuyv, { width: 320, height: 240 })).toEqual({ width: 640, height: 480 });
    expect(pickSize({ ...yuyv, sizes: [] }, { width: 320, height: 240 })).toBeUndefined();
  });

  it('clamps and rounds to a stepwise range', () => {
    const range = {
      min: { width: 64, height: 64 },
      max: { width: 1280, height: 960 },
      step: { width: 16, height: 8 },
    };
    const format = { ...yuyv, sizes: [], range };
    expect(pickSize(format, { width: 1920, height: 1080 })).toEqual({ width: 1280, height: 960 });
    expect(pickSize(format, { width: 645, height: 482 })).toEqual({ width: 640, height: 480 });
    expect(pickSize(format, { width: 16, height: 16 })).toEqual({ width: 64, height: 64 });
  });
});

describe('chooseFormat', () => {
  it('prefers H.264 passthrough, then YUYV with software encoding', () => {
    const want = { width: 1920, height: 1080 };
    expect(chooseFormat(device([yuyv, mjpeg, h264]), want, '/dev/video0')).toEqual({
      fourcc: 'H264',
      ...want,
    });
    expect(chooseFormat(device([mjpeg, yuyv]), want, '/dev/video0')).toEqual({
      fourcc: 'YUYV',
      ...want,
    });
  });

  it('rejects a camera with only unsupported formats, naming what it offers', () => {
    const error = thrown(() =>
      chooseFormat(device([mjpeg]), { width: 640, height: 480 }, '/dev/video3'),
    );
    expect(error.code).toBe('DEVICE_UNSUPPORTED_FORMAT');
    expect(error.message).toMatch(
      /\/dev\/video3: USB Camera offers MJPG \(Motion-JPEG\); supported are H264 and YUYV/,
    );
  });

  it('skips YUYV sizes that are odd', () => {
    const odd = { ...yuyv, sizes: [{ width: 175, height: 99 }] };
    expect(() => chooseFormat(device([odd]), { width: 176, height: 100 }, '/dev/video0')).toThrow(
      /offers YUYV/,
    );
  });
});

describe('describeV4l2', () => {
  it('promises an IDR on request only where OpenH264 encodes (YUYV), not for H.264 passthrough', () => {
    const want = { width: 1280, height: 720 };
    const info = (formats: V4l2Format[]) =>
      describeV4l2('/dev/video0', chooseFormat(device(formats), want, '/dev/video0'), 'requested');
    expect(info([yuyv, h264])).toEqual({
      source: 'v4l2:/dev/video0',
      backend: 'v4l2',
      keyframeOnRequest: false,
      reason: 'requested',
    });
    expect(info([mjpeg, yuyv])).toMatchObject({ keyframeOnRequest: true });
  });
});

describe('probeDevice', () => {
  it('says when the device does not exist', () => {
    const error = thrown(() => probeDevice('/dev/video99'));
    expect(error).toMatchObject({ code: 'DEVICE_NOT_FOUND', parameter: 'source' });
    expect(error.message).toMatch(/^v4l2 \/dev\/video99: .*ENOENT/);
  });

  it('says when the path is not a character device', () => {
    const file = join(dir, 'video0');
    writeFileSync(file, 'not a camera');
    expect(thrown(() => probeDevice(file))).toMatchObject({
      code: 'DEVICE_NOT_CHAR',
      parameter: 'source',
    });
  });

  it('says when a character device is not V4L2 (the driver answers ENOTTY)', () => {
    const error = thrown(() => probeDevice('/dev/null'));
    expect(error).toMatchObject({ code: 'DEVICE_NOT_V4L2', parameter: 'source' });
    expect(error.message).toBe(
      'v4l2 /dev/null: VIDIOC_QUERYCAP: Inappropriate ioctl for device (ENOTTY) (not a V4L2 device)',
    );
  });
});

describe('v4l2 source', () => {
  it('rejects a device that is not a camera before opening anything', async () => {
    const error = await openCamera({ source: 'v4l2:/dev/null' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVICE_NOT_V4L2', parameter: 'source' });
  });
});
