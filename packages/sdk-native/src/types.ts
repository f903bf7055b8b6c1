// The types every camera backend shares (the Camera in camera.ts, file replay, V4L2): in a
// module of their own so no backend imports the factory that imports it.
import { CHANNEL_ID_BYTES, TIMESTAMP_TRAILER_BYTES } from '@cam/protocol';
import type { CameraError } from './errors.js';

/**
 * The spare bytes every backend leaves before and after a frame's bytes: the wire message's
 * channel id and capture-time trailer (@cam/protocol), so a streamer frames each message in
 * place, with no copy per frame.
 */
export const FRAME_ROOM = { before: CHANNEL_ID_BYTES, after: TIMESTAMP_TRAILER_BYTES } as const;

/**
 * What a stream may carry: H.264, or raw pixels for ML: packed 8-bit RGB, NV12, or 8-bit RGB
 * planar (an R plane, a G plane, a B plane: what the reCamera's NPU takes).
 */
export const STREAM_FORMATS = ['h264', 'rgb', 'nv12', 'rgbp'] as const;
export type StreamFormat = (typeof STREAM_FORMATS)[number];

/** One H.264 access unit (or, for a raw stream, one picture) as captured. */
export interface EncodedFrame {
  /**
   * One whole Annex B access unit; SPS and PPS precede every IDR. For a raw stream the
   * picture, rows packed: R,G,B rows (width * 3 bytes each), NV12 (Y plane, then interleaved
   * UV), or RGB planar (R plane, G plane, B plane, width * height bytes each).
   */
  data: Buffer;
  /**
   * `data` with FRAME_ROOM around it: `wire.subarray(FRAME_ROOM.before, -FRAME_ROOM.after)` is
   * `data`, the same memory. Its spare bytes are for framing the wire message in place.
   */
  wire: Buffer;
  /** Wall clock at capture, ms since the Unix epoch. */
  timestampMs: number;
  /** True for an IDR, and for every raw picture (each stands alone). */
  keyframe: boolean;
  /** Counter of its stream's frame slots; a gap means frames were dropped. */
  sequence: number;
  /** Which stream of CameraInfo.streams (0 for a single-stream camera). */
  stream: number;
}

/** What one stream runs at. */
export interface StreamInfo extends EncoderSettings {
  /** (bitrateKbps and gop are 0 for raw streams, and where a V4L2 H.264 camera decides.) */
  format: StreamFormat;
}

/** What a backend counts: drops by reason, and its recent encode times (ms). */
export interface NativeStats {
  dropped: Record<string, number>;
  encodeMs: number[];
}

export type Backend = 'test' | 'file' | 'v4l2' | 'sophgo';

/** The one record of what a stream is encoded at; options, defaults, limits and info share it. */
export interface EncoderSettings {
  width: number;
  height: number;
  fps: number;
  /** The encoder's target, kbit/s. */
  bitrateKbps: number;
  /** Frames from one IDR to the next. */
  gop: number;
}

/**
 * What is open. Its bitrateKbps is a replayed file's average, or 0 when a V4L2 H.264 camera
 * decides; its gop is 0 when the camera decides (V4L2 H.264 passthrough).
 */
export interface CameraInfo extends EncoderSettings {
  /** The source actually opened, e.g. 'test' or 'v4l2:/dev/video0' (never 'auto'). */
  source: string;
  backend: Backend;
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
  /**
   * Every stream the camera gives, stream 0 first (its settings are the fields above). Fewer
   * than asked when the source cannot give more: a `file:` source replays its one recording.
   */
  streams: StreamInfo[];
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
   * `late` (capture slots skipped because encoding fell behind), `encoderSkip`, `device` (a
   * V4L2 driver's own drops), `badBuffer` (a V4L2 buffer whose length does not fit: past its
   * mapping, or shorter than a frame), `malformed` (a device SDK frame with no picture). */
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
  /** The next frame of `stream` (every stream when unset) is an IDR. */
  requestKeyframe(stream?: number): void;
  stats(): NativeStats;
  close(): void;
}

/**
 * How a backend hands on one access unit (or raw picture) of stream `stream`: `wire` is its bytes
 * with FRAME_ROOM spare bytes before and after them.
 */
export type FrameCallback = (
  wire: Buffer,
  timestampMs: number,
  keyframe: boolean,
  sequence: number,
  stream: number,
) => void;

export type StartProducer = (onFrame: FrameCallback, onEnd: (error?: Error) => void) => Producer;
