import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAddon } from '@cam/addon-loader';
import { CameraError } from './errors.js';
import type { EncoderSettings, FrameCallback, NativeStats, StreamFormat } from './types.js';

/** The addon's surface (native/camera/addon.cpp). */
export interface NativeCameraHandle {
  /** The next frame of `stream` is an IDR; without an argument, every stream's. */
  requestKeyframe(stream?: number): void;
  stats(): NativeStats;
  /**
   * What the backend runs at (a V4L2 driver may grant another size or rate than asked):
   * stream 0's settings, and every stream's.
   */
  describe(): EncoderSettings & {
    format: StreamFormat;
    encoder: string;
    streams: (EncoderSettings & { format: StreamFormat })[];
  };
  close(): void;
}

export interface NativeParams extends EncoderSettings {
  /** Every stream (test, v4l2, sophgo); without it one H.264 stream of the settings above.
   * sophgo: 1 to 3 streams scaled from the one sensor, each a VPSS channel, with a VENC channel
   * for each H.264 one. */
  streams?: (EncoderSettings & { format: StreamFormat })[];
  /** v4l2 only: device path and pixel format ('H264' or 'YUYV'). */
  path?: string;
  fourcc?: string;
  /** sophgo only: the board-path prefix (see sophgo.ts; '' on the board). */
  root?: string;
  /** Spare bytes before and after every frame's bytes (FRAME_ROOM): set by nativeProducer. */
  roomBefore?: number;
  roomAfter?: number;
}

export interface V4l2Size {
  width: number;
  height: number;
}

export interface V4l2Format {
  /** 'H264', 'YUYV', 'MJPG', ... */
  fourcc: string;
  description: string;
  /** Discrete frame sizes; empty when the driver gives a `range` instead. */
  sizes: V4l2Size[];
  range?: { min: V4l2Size; max: V4l2Size; step: V4l2Size };
}

export interface V4l2Device {
  driver: string;
  card: string;
  busInfo: string;
  formats: V4l2Format[];
}

export interface NativeAddon {
  NativeCamera: new (
    kind: 'test' | 'v4l2' | 'sophgo',
    params: NativeParams,
    onFrame: FrameCallback,
    onEnd: (error?: Error) => void,
  ) => NativeCameraHandle;
  encoderVersion(): string;
  /** The I420 picture the test source draws for capture `sequence` taken at timestampMs. */
  testPicture(width: number, height: number, sequence: number, timestampMs: number): Buffer;
  /** Opens a V4L2 node, checks it is a streaming capture device and lists its formats. */
  probeV4l2(path: string): V4l2Device;
  queueFrames: number;
  /** Loads the reCamera's camera libraries from `root` + /mnt/system/...: '' when they load and
   * every function resolves, else why not (one line). */
  probeSophgo(root: string): string;
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
let addon: NativeAddon | undefined;

/** Loads the addon once; a CameraError (NATIVE_UNAVAILABLE) says what is missing and what to do. */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  try {
    addon = loadAddon<NativeAddon>(packageRoot);
    return addon;
  } catch (error) {
    throw new CameraError(
      'NATIVE_UNAVAILABLE',
      `@cam/sdk-native: ${(error as Error).message}: install a release that ships prebuilds for it, ` +
        'or build from source with `apt-get install build-essential python3 libopenh264-dev` ' +
        'then `pnpm --filter @cam/sdk-native build`',
      { cause: error },
    );
  }
}
