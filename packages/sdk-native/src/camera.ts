import { EventEmitter } from 'node:events';
import { percentile } from '@cam/protocol';
import { chooseAuto, listVideoDevices } from './auto.js';
import { CameraError, fromNative } from './errors.js';
import { readRecording, replay } from './file-replay.js';
import { loadNative, type NativeCameraHandle, type NativeParams } from './native.js';
import { type CameraOptions, type ResolvedOptions, resolveOptions } from './options.js';
import type {
  CameraEvents,
  CameraInfo,
  CameraStats,
  Producer,
  SourceDescription,
  StartProducer,
} from './types.js';
import { chooseFormat, describeV4l2, probeDevice, type V4l2Choice } from './v4l2.js';

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
        ? {
            p50: percentile(sorted, 50) ?? 0,
            p95: percentile(sorted, 95) ?? 0,
            max: sorted.at(-1) ?? 0,
          }
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
