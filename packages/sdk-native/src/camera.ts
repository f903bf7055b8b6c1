import { EventEmitter } from 'node:events';
import { chooseAuto, listVideoDevices } from './auto.js';
import { CameraError, fromNative } from './errors.js';
import { readRecording, replay } from './file-replay.js';
import {
  loadNative,
  type NativeCameraHandle,
  type NativeParams,
  type NativeStats,
} from './native.js';
import { type CameraOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { chooseFormat, describeV4l2, probeDevice, type V4l2Choice } from './v4l2.js';

/** One H.264 access unit as captured. */
export interface EncodedFrame {
  /** One whole Annex B access unit; SPS and PPS precede every IDR. */
  data: Buffer;
  /** Wall clock at capture, ms since the Unix epoch. */
  timestampMs: number;
  keyframe: boolean;
  /** Capture counter; a gap means frames were dropped (see stats().droppedReasons). */
  sequence: number;
}

export type Backend = 'test' | 'file' | 'v4l2' | 'sophgo';

export interface CameraInfo {
  /** The source actually opened, e.g. 'test' or 'v4l2:/dev/video0' (never 'auto'). */
  source: string;
  backend: Backend;
  width: number;
  height: number;
  fps: number;
  /** The encoder's target; a replayed file's average; 0 when a V4L2 H.264 camera decides. */
  bitrateKbps: number;
  /** Frames between IDRs; 0 when the camera decides (V4L2 H.264 passthrough). */
  gop: number;
  /** What produces the H.264, e.g. 'OpenH264 2.3.1' or 'camera (H.264 passthrough)'. */
  encoder: string;
  /**
   * Whether requestKeyframe() makes the next frame an IDR: true where an encoder we drive runs
   * (test, sophgo, a V4L2 YUYV camera through OpenH264). False for file replay, which can only
   * skip ahead to the recording's next IDR, and for V4L2 H.264 passthrough (see v4l2.ts).
   * A server that gives late joiners a fresh IDR should do so only when this is true.
   */
  keyframeOnRequest: boolean;
  /** Why this source: the choice `auto` made, or 'requested'. Worth logging. */
  reason: string;
}

/** What the TypeScript side knows of a native backend before it starts; the rest it reports. */
export type SourceDescription = Pick<
  CameraInfo,
  'source' | 'backend' | 'reason' | 'keyframeOnRequest'
>;

export interface CameraStats {
  frames: number;
  bytes: number;
  keyframes: number;
  /** Frames that never reached JavaScript, total and by reason: `queueFull` (JavaScript fell
   * behind), `awaitingKeyframe` (the frames after such a drop, undecodable until the next IDR),
   * `late` (capture slots skipped because encoding fell behind), `encoderSkip`. */
  dropped: number;
  droppedReasons: Record<string, number>;
  /** Encode time of the last 256 frames (null when the backend encodes nothing itself). */
  encodeMs: { p50: number; p95: number; max: number } | null;
}

export interface CameraEvents {
  frame: [EncodedFrame];
  error: [CameraError];
  close: [];
}

/** What a backend gives the Camera: it calls onFrame per access unit and onEnd once. */
export interface Producer {
  info: CameraInfo;
  requestKeyframe(): void;
  stats(): NativeStats;
  close(): void;
}

export type StartProducer = (
  onFrame: (data: Buffer, timestampMs: number, keyframe: boolean, sequence: number) => void,
  onEnd: (error?: Error) => void,
) => Producer;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

/** An open camera. Emits 'frame' per access unit, 'error' if the backend fails, then 'close'. */
export class Camera extends EventEmitter<CameraEvents> {
  readonly info: CameraInfo;
  readonly #producer: Producer;
  readonly #closed: Promise<void>;
  #frames = 0;
  #bytes = 0;
  #keyframes = 0;

  constructor(start: StartProducer) {
    super();
    let ended!: () => void;
    this.#closed = new Promise((resolve) => {
      ended = resolve;
    });
    this.#producer = start(
      (data, timestampMs, keyframe, sequence) => {
        this.#frames++;
        this.#bytes += data.length;
        if (keyframe) this.#keyframes++;
        this.emit('frame', { data, timestampMs, keyframe, sequence });
      },
      (error) => {
        if (error) this.emit('error', fromNative(error, `camera ${this.info.source}`));
        this.emit('close');
        ended();
      },
    );
    this.info = this.#producer.info;
  }

  /** The next frame encoded is an IDR with SPS and PPS (for a viewer that just joined). */
  requestKeyframe(): void {
    this.#producer.requestKeyframe();
  }

  stats(): CameraStats {
    const native = this.#producer.stats();
    const sorted = [...native.encodeMs].sort((a, b) => a - b);
    return {
      frames: this.#frames,
      bytes: this.#bytes,
      keyframes: this.#keyframes,
      dropped: Object.values(native.dropped).reduce((a, b) => a + b, 0),
      droppedReasons: { ...native.dropped },
      encodeMs: sorted.length
        ? { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), max: sorted.at(-1) ?? 0 }
        : null,
    };
  }

  /** Stops capture; resolves after the last frame and 'close' have been emitted. */
  close(): Promise<void> {
    this.#producer.close();
    return this.#closed;
  }
}

/** Starts a backend of the addon; its info reports what the backend actually runs at. */
export function nativeProducer(
  kind: 'test' | 'v4l2' | 'sophgo',
  params: NativeParams,
  describe: SourceDescription,
): StartProducer {
  const native = loadNative();
  return (onFrame, onEnd) => {
    let handle: NativeCameraHandle;
    try {
      handle = new native.NativeCamera(kind, params, onFrame, onEnd);
    } catch (error) {
      throw fromNative(error, `camera ${describe.source}`);
    }
    return {
      info: { ...describe, ...handle.describe() },
      requestKeyframe: () => handle.requestKeyframe(),
      stats: () => handle.stats(),
      close: () => handle.close(),
    };
  };
}

function encoderParams(options: ResolvedOptions): NativeParams {
  const { width, height, fps, bitrateKbps, gop } = options;
  return { width, height, fps, bitrateKbps, gop };
}

async function openFile(options: ResolvedOptions, path: string, reason: string): Promise<Camera> {
  const recording = await readRecording(path);
  // Without --fps, the recording's own rate (SPS VUI timing), else the default.
  const fps = options.fpsGiven ? options.fps : (recording.fps ?? options.fps);
  const bytes = recording.units.reduce((n, unit) => n + unit.data.length, 0);
  const info: CameraInfo = {
    source: `file:${path}`,
    backend: 'file',
    width: recording.width,
    height: recording.height,
    fps,
    bitrateKbps: Math.round((bytes * 8 * fps) / recording.units.length / 1000),
    gop: recording.gop,
    encoder: 'none (pre-encoded file)',
    keyframeOnRequest: false,
    reason,
  };
  return new Camera(replay(info, recording.units));
}

function openTest(options: ResolvedOptions, reason: string): Camera {
  return new Camera(
    nativeProducer('test', encoderParams(options), {
      source: 'test',
      backend: 'test',
      keyframeOnRequest: true,
      reason,
    }),
  );
}

function openV4l2(
  options: ResolvedOptions,
  path: string,
  choice: V4l2Choice,
  reason: string,
): Camera {
  const params = { ...encoderParams(options), ...choice, path };
  return new Camera(nativeProducer('v4l2', params, describeV4l2(path, choice, reason)));
}

function openSophgo(options: ResolvedOptions, reason: string): Camera {
  if (!loadNative().sophgo) {
    throw new CameraError(
      'SOURCE_UNAVAILABLE',
      'source sophgo: this build of @cam/sdk-native has no Sophgo SDK (build it on the ' +
        'reCamera toolchain with SG200X_SDK_PATH set)',
      { parameter: 'source' },
    );
  }
  return new Camera(
    nativeProducer('sophgo', encoderParams(options), {
      source: 'sophgo',
      backend: 'sophgo',
      keyframeOnRequest: true,
      reason,
    }),
  );
}

/**
 * Opens a camera. Options are checked first (a CameraError naming the bad parameter); backend
 * failures (no encoder, no device) reject with a CameraError too.
 */
export async function openCamera(options: CameraOptions): Promise<Camera> {
  const resolved = resolveOptions(options);
  const source = resolved.source;
  switch (source.kind) {
    case 'test':
      return openTest(resolved, 'requested');
    case 'file':
      return openFile(resolved, source.path, 'requested');
    case 'v4l2':
      return openV4l2(
        resolved,
        source.path,
        chooseFormat(probeDevice(source.path), resolved, source.path),
        'requested',
      );
    case 'sophgo':
      return openSophgo(resolved, 'requested');
    case 'auto': {
      const auto = chooseAuto(loadNative().sophgo, listVideoDevices(), resolved);
      if (auto.kind === 'sophgo') return openSophgo(resolved, auto.reason);
      if (auto.kind === 'v4l2') return openV4l2(resolved, auto.path, auto.choice, auto.reason);
      return openTest(resolved, auto.reason);
    }
  }
}
