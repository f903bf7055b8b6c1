import { statSync } from 'node:fs';
import { CameraError, fromNative } from './errors.js';
import { loadNative, type V4l2Device, type V4l2Format, type V4l2Size } from './native.js';
import type { SourceDescription } from './types.js';

/**
 * Pixel formats we can stream, best first: H.264 is passed through as the camera encodes it;
 * YUYV is converted and encoded by OpenH264. MJPEG and the rest are not supported (they would
 * need a JPEG decoder before the encoder).
 */
export const V4L2_FORMATS = ['H264', 'YUYV'] as const;

export interface V4l2Choice {
  fourcc: (typeof V4L2_FORMATS)[number];
  width: number;
  height: number;
}

function roundTo(value: number, min: number, step: number): number {
  return min + Math.round((value - min) / Math.max(step, 1)) * Math.max(step, 1);
}

/** The size of `format` nearest to `want`: exact if offered, else the closest by area. */
export function pickSize(format: V4l2Format, want: V4l2Size): V4l2Size | undefined {
  if (format.range) {
    const { min, max, step } = format.range;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    return {
      width: clamp(roundTo(want.width, min.width, step.width), min.width, max.width),
      height: clamp(roundTo(want.height, min.height, step.height), min.height, max.height),
    };
  }
  const area = want.width * want.height;
  return [...format.sizes].sort(
    (a, b) => Math.abs(a.width * a.height - area) - Math.abs(b.width * b.height - area),
  )[0];
}

/**
 * Picks the format and size to capture from what the device offers: H.264 over YUYV (only YUYV
 * when `scaled`: several streams need raw captures to scale), then the size nearest the one
 * asked for. Throws DEVICE_UNSUPPORTED_FORMAT naming what the device has.
 */
export function chooseFormat(
  device: V4l2Device,
  want: V4l2Size,
  path: string,
  scaled = false,
): V4l2Choice {
  for (const fourcc of scaled ? (['YUYV'] as const) : V4L2_FORMATS) {
    const format = device.formats.find((f) => f.fourcc === fourcc);
    const size = format && pickSize(format, want);
    if (size && (fourcc === 'H264' || (size.width % 2 === 0 && size.height % 2 === 0))) {
      return { fourcc, ...size };
    }
  }
  const offered = device.formats.map((f) => `${f.fourcc} (${f.description})`).join(', ') || 'none';
  throw new CameraError(
    'DEVICE_UNSUPPORTED_FORMAT',
    `v4l2 ${path}: ${device.card} offers ${offered}; supported are ${scaled ? 'YUYV (several streams are scaled from raw captures)' : V4L2_FORMATS.join(' and ')} ` +
      '(MJPEG needs a JPEG decoder this package does not have)',
    { parameter: 'source' },
  );
}

/**
 * What the camera is before it starts. keyframeOnRequest is false for H.264 passthrough: on a
 * request the addon sets V4L2_CID_MPEG_VIDEO_FORCE_KEY_FRAME without checking that the driver
 * has the control (uvcvideo, the usual H.264 webcam driver, maps none of the V4L2 MPEG controls)
 * or that it took effect, and up to 4 frames the camera already encoded are queued ahead of any
 * IDR it makes. A YUYV camera's frames go through OpenH264, which encodes the next one as an IDR.
 */
export function describeV4l2(path: string, choice: V4l2Choice, reason: string): SourceDescription {
  return {
    source: `v4l2:${path}`,
    backend: 'v4l2',
    keyframeOnRequest: choice.fourcc !== 'H264',
    reason,
  };
}

/** Checks the path names a character device, then asks the driver what it can capture. */
export function probeDevice(path: string): V4l2Device {
  let isCharacterDevice: boolean;
  try {
    isCharacterDevice = statSync(path).isCharacterDevice();
  } catch (error) {
    throw new CameraError('DEVICE_NOT_FOUND', `v4l2 ${path}: ${(error as Error).message}`, {
      parameter: 'source',
      cause: error,
    });
  }
  if (!isCharacterDevice) {
    throw new CameraError(
      'DEVICE_NOT_CHAR',
      `v4l2 ${path}: not a character device (a V4L2 camera is /dev/videoN)`,
      {
        parameter: 'source',
      },
    );
  }
  try {
    return loadNative().probeV4l2(path);
  } catch (error) {
    throw fromNative(error, undefined, 'source');
  }
}
