// Loads the native addon (@cam/addon-loader: a build/Release of this machine's architecture, else
// the prebuild for its platform, arch and libc) and types what it exports. The layout numbers
// come from the addon, which was compiled against native/include/cam_shm.h: TypeScript keeps no
// copy of them.
import { fileURLToPath } from 'node:url';
import { addonUnavailableFix, loadAddon } from '@cam/addon-loader';
import { ShmError } from './errors';

/** What a ring's slots hold: access units ('encoded'), or raw pictures (cam_shm.h PIXFMT_*). */
export type PixelFormat = 'encoded' | 'rgb24' | 'nv12' | 'rgbPlanar';

export interface NativeWriter {
  publish(data: Uint8Array, timestampMs: number, keyframe: boolean): number;
  setStreamInfo(codec: string, width: number, height: number, fpsMilli: number): void;
  setPixelFormat(pixelFormat: number, stride: number): void;
  link(alias: string): void;
  setParameterSets(sps: Uint8Array, pps: Uint8Array, frameSeq: number): number;
  heartbeat(): void;
  info(): { epoch: number; slots: number; slotBytes: number; totalBytes: number };
  close(): void;
}

export interface NativeReader {
  readonly buffer: ArrayBuffer;
  tryNext(out: Float64Array): number;
  valid(slot: number, lock: number): boolean;
  seek(start: number): void;
  notify(): number;
  wait(seenNotify: number, timeoutMs: number): Promise<void>;
  status(): { closed: boolean; heartbeatAgeMs: number; writeSeq: number; replaced: boolean };
  info(): {
    epoch: number;
    slots: number;
    slotBytes: number;
    totalBytes: number;
    writerPid: number;
  };
  streamInfo(): {
    codec: string;
    width: number;
    height: number;
    fpsMilli: number;
    sps: Uint8Array;
    pps: Uint8Array;
    psFrameSeq: number;
    pixelFormat: number;
    stride: number;
    /** Bytes of one raw picture by format, height and stride; 0 when encoded or unknown. */
    rawFrameBytes: number;
  } | null;
  close(): void;
}

/** Byte offsets and constants of the layout, as compiled into the addon from cam_shm.h. */
export interface ShmLayout {
  magic: number;
  version: number;
  headerBytes: number;
  slotEntryBytes: number;
  paramSetBytes: number;
  codecBytes: number;
  defaultTotalBytes: number;
  defaultSlots: number;
  /** The slot counts a writer accepts (inclusive). */
  minSlots: number;
  maxSlots: number;
  flagKeyframe: number;
  stateClosed: number;
  /** Additions within this version the addon's writer fills (cam_shm.h CAM_SHM_MINOR_VERSION). */
  minorVersion: number;
  /** CAM_SHM_PIXFMT_* values by name. */
  pixelFormats: Record<PixelFormat, number>;
  /** The cam_shm_status a native call returns when the segment file shrank. */
  statusTruncated: number;
  header: Record<string, number>;
  slot: Record<string, number>;
}

export interface Addon {
  /** null when the name is a valid segment name, else why not (from cam_shm.h). */
  nameProblem(name: string): string | null;
  Writer: new (
    name: string,
    totalBytes: number,
    slots: number,
    mode: number,
    gid: number,
  ) => NativeWriter;
  Reader: new (name: string) => NativeReader;
  layout: ShmLayout;
  /** The segment size whose `slots` slots each hold a frame of `frameBytes` (cam_shm.h). */
  ringBytesFor(slots: number, frameBytes: number): number;
}

let loaded: Addon | undefined;

export function addon(): Addon {
  if (loaded) return loaded;
  try {
    loaded = loadAddon<Addon>(fileURLToPath(new URL('..', import.meta.url)));
    return loaded;
  } catch (err) {
    throw new ShmError(
      'NATIVE_UNAVAILABLE',
      `@cam/shm: ${(err as Error).message}. ${addonUnavailableFix('@cam/shm')}`,
      { cause: err },
    );
  }
}
