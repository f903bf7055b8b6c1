import { EventEmitter } from 'node:events';
import { percentile } from '@cam/protocol';
import { chooseAuto, listVideoDevices } from './auto.js';
import { CameraError, fromNative } from './errors.js';
import { readRecording, replay } from './file-replay.js';
import { loadNative, type NativeCameraHandle, type NativeParams } from './native.js';
import {
  type CameraOptions,
  type ResolvedOptions,
  type ResolvedStream,
  resolveOptions,
} from './options.js';
import { probeSophgo, sophgoRoot } from './sophgo.js';
import {
  type CameraEvents,
  type CameraInfo,
  type CameraStats,
  FRAME_ROOM,
  type Producer,
  type SourceDescription,
  type StartProducer,
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
      (wire, timestampMs, keyframe, sequence, stream) => {
        const data = wire.subarray(FRAME_ROOM.before, wire.length - FRAME_ROOM.after);
        this.#frames++;
        this.#bytes += data.length;
        if (keyframe) this.#keyframes++;
        this.emit('frame', { data, wire, timestampMs, keyframe, sequence, stream });
      },
      (error) => {
        if (error) this.emit('error', fromNative(error, `camera ${this.info.source}`));
        this.emit('close');
        ended();
      },
    );
    this.info = this.#producer.info;
  }

  /**
   * The next frame encoded for `stream` (every stream when unset) is an IDR with SPS and PPS,
   * for a viewer that just joined.
   */
  requestKeyframe(stream?: number): void {
    this.#producer.requestKeyframe(stream);
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
      const room = { roomBefore: FRAME_ROOM.before, roomAfter: FRAME_ROOM.after };
      handle = new native.NativeCamera(kind, { ...params, ...room }, onFrame, onEnd);
    } catch (error) {
      throw fromNative(error, `camera ${describe.source}`);
    }
    const { streams, format: _stream0Format, ...first } = handle.describe();
    return {
      info: { ...describe, ...first, streams },
      requestKeyframe: (stream) =>
        stream === undefined ? handle.requestKeyframe() : handle.requestKeyframe(stream),
      stats: () => handle.stats(),
      close: () => handle.close(),
    };
  };
}

function encoderParams(options: ResolvedOptions): NativeParams {
  const { width, height, fps, bitrateKbps, gop, streams } = options;
  return { width, height, fps, bitrateKbps, gop, streams };
}

async function openFile(options: ResolvedOptions, path: string, reason: string): Promise<Camera> {
  const recording = await readRecording(path);
  // Without --fps, the recording's own rate (SPS VUI timing), else the default.
  const fps = options.fpsGiven ? options.fps : (recording.fps ?? options.fps);
  const bytes = recording.units.reduce((n, unit) => n + unit.data.length, 0);
  const bitrateKbps = Math.round((bytes * 8 * fps) / recording.units.length / 1000);
  const info: CameraInfo = {
    source: `file:${path}`,
    backend: 'file',
    width: recording.width,
    height: recording.height,
    fps,
    bitrateKbps,
    gop: recording.gop,
    encoder: 'none (pre-encoded file)',
    keyframeOnRequest: false,
    reason,
    // One recording, one stream, whatever was asked: it cannot be scaled without decoding it.
    streams: [
      {
        width: recording.width,
        height: recording.height,
        fps,
        bitrateKbps,
        gop: recording.gop,
        format: 'h264',
      },
    ],
  };
  return new Camera(replay(info, recording.units));
}

/**
 * A backend whose encoder we drive, so IDRs come on request: the test pattern (OpenH264), or the
 * reCamera's camera and hardware encoder (`sophgo`: one VPSS + VENC channel per stream).
 */
function openEncoder(kind: 'test' | 'sophgo', options: ResolvedOptions, reason: string): Camera {
  const sophgo = kind === 'sophgo' ? { root: sophgoRoot() } : {};
  return new Camera(
    nativeProducer(
      kind,
      { ...encoderParams(options), ...sophgo },
      { source: kind, backend: kind, keyframeOnRequest: true, reason },
    ),
  );
}

function openV4l2(
  options: ResolvedOptions,
  path: string,
  choice: V4l2Choice,
  reason: string,
): Camera {
  // The capture is the largest stream; streams of that size follow the size the device gives.
  const want = captureOf(options.streams);
  const streams = options.streams.map((s) =>
    s.width === want.width && s.height === want.height
      ? { ...s, width: choice.width, height: choice.height }
      : s,
  );
  const params = { ...encoderParams(options), ...choice, streams, path };
  return new Camera(nativeProducer('v4l2', params, describeV4l2(path, choice, reason)));
}

/**
 * The picture the `test` source captures as frame `sequence` at `timestampMs` (I420, width x
 * height, even sizes), before any stream scales or encodes it: to check what a stream made of
 * it against an independent scaler. A `test` stream at the capture's rate has sequence = capture.
 */
export function testPicture(
  width: number,
  height: number,
  sequence: number,
  timestampMs: number,
): Buffer {
  const w = checkEven('width', width);
  const h = checkEven('height', height);
  if (!Number.isSafeInteger(sequence) || sequence < 0 || !Number.isSafeInteger(timestampMs)) {
    throw new CameraError(
      'INVALID_PARAMETER',
      'testPicture: sequence and timestampMs must be integers >= 0',
    );
  }
  return loadNative().testPicture(w, h, sequence, timestampMs);
}

function checkEven(name: 'width' | 'height', value: number): number {
  return resolveOptions({ source: 'test', [name]: value })[name];
}

/** The capture that feeds every stream: the largest width, height and rate among them. */
export function captureOf(streams: readonly ResolvedStream[]): {
  width: number;
  height: number;
  fps: number;
} {
  return {
    width: Math.max(...streams.map((s) => s.width)),
    height: Math.max(...streams.map((s) => s.height)),
    fps: Math.max(...streams.map((s) => s.fps)),
  };
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
      return openEncoder('test', resolved, 'requested');
    case 'file':
      return openFile(resolved, source.path, 'requested');
    case 'v4l2':
      return openV4l2(
        resolved,
        source.path,
        chooseFormat(
          probeDevice(source.path),
          captureOf(resolved.streams),
          source.path,
          resolved.streams.length > 1,
        ),
        'requested',
      );
    case 'sophgo':
      return openEncoder('sophgo', resolved, 'requested');
    case 'auto': {
      const auto = chooseAuto(probeSophgo(), listVideoDevices(), resolved);
      if (auto.kind === 'v4l2') return openV4l2(resolved, auto.path, auto.choice, auto.reason);
      return openEncoder(auto.kind, resolved, auto.reason);
    }
  }
}
