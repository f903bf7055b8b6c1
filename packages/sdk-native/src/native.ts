import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

export type Libc = 'glibc' | 'musl';

/**
 * The C library of the running Node. node-gyp-build only recognises musl by /etc/alpine-release,
 * which a Buildroot board (the reCamera) does not have; Node itself knows: its report names the
 * glibc it runs on, and has no such entry on musl.
 */
export function detectLibc(): Libc {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } };
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

export interface Target {
  platform: string;
  arch: string;
  libc: Libc;
}

/**
 * Where the addon may be, best first: the prebuild for this platform, arch and libc (prebuildify
 * --napi --tag-libc names it prebuilds/linux-riscv64/@cam+sdk-native.musl.node), one without a
 * libc tag, then a local `node-gyp` build.
 */
export function addonCandidates(root: string, target: Target): string[] {
  const dir = join(root, 'prebuilds', `${target.platform}-${target.arch}`);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.node')) : [];
  const libcOf = (file: string) => file.split('.').find((tag) => tag === 'glibc' || tag === 'musl');
  const prebuilds = [
    ...files.filter((f) => libcOf(f) === target.libc),
    ...files.filter((f) => libcOf(f) === undefined),
  ];
  return [...prebuilds.map((f) => join(dir, f)), join(root, 'build', 'Release', 'cam_camera.node')];
}

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
let addon: NativeAddon | undefined;

/** Loads the addon once; a CameraError (NATIVE_UNAVAILABLE) says what is missing and what to do. */
export function loadNative(): NativeAddon {
  if (addon) return addon;
  const target = { platform: process.platform, arch: process.arch, libc: detectLibc() };
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const file of addonCandidates(packageRoot, target)) {
    if (!existsSync(file)) continue;
    try {
      addon = require(file) as NativeAddon;
      return addon;
    } catch (error) {
      failures.push(`${file}: ${(error as Error).message}`);
    }
  }
  throw new CameraError(
    'NATIVE_UNAVAILABLE',
    `@cam/sdk-native has no working addon for ${target.platform}-${target.arch} (${target.libc})` +
      (failures.length ? `; tried ${failures.join('; ')}` : '') +
      ': install a release that ships prebuilds for it, or build from source with ' +
      '`apt-get install build-essential python3 libopenh264-dev` then `pnpm --filter @cam/sdk-native build`',
  );
}
