import { CameraError } from './errors.js';
import { type EncoderSettings, STREAM_FORMATS, type StreamFormat } from './types.js';

/**
 * What the caller asks for. Only `source` is required; see CAMERA_DEFAULTS for the rest. Unset,
 * `fps` of a `file:` source is the recording's own rate (its SPS timing), else 30.
 */
export interface CameraOptions extends Partial<EncoderSettings> {
  /** 'auto' | 'test' | 'file:PATH' | 'v4l2:/dev/videoN' | 'sophgo' */
  source: string;
  /**
   * Several streams from the one capture (test and V4L2 YUYV: scaled and encoded once each;
   * a file replays as stream 0 only). Each frame says its `stream` (the index here). Given,
   * it replaces width, height and fps; bitrateKbps and gop are its streams' defaults.
   */
  streams?: StreamOptions[];
}

/** One stream of a camera (see CameraOptions.streams). */
export interface StreamOptions {
  width: number;
  height: number;
  fps: number;
  /** H.264 only; default: the camera's bitrateKbps. */
  bitrateKbps?: number;
  /** H.264 only; default: the camera's gop. */
  gop?: number;
  /** Default 'h264'. */
  format?: StreamFormat;
}

/** A stream with every field checked and filled in (0 bitrate and GOP for raw streams). */
export interface ResolvedStream extends EncoderSettings {
  format: StreamFormat;
}

/** The defaults of every optional CameraOptions field: the seed's 1080p30 at 4 Mbit/s. */
export const CAMERA_DEFAULTS: Readonly<EncoderSettings> = Object.freeze({
  width: 1920,
  height: 1080,
  fps: 30,
  bitrateKbps: 4000,
  gop: 30,
});

/**
 * Accepted ranges (inclusive), for every caller: the streamer's flags are checked against these
 * too. Sizes must also be even: 4:2:0 chroma halves them. fps stops at 120 (no camera or encoder
 * here goes faster; a recording claiming more is replayed at the default unless --fps is given);
 * a GOP may be long (up to 2 min at 30 fps) because late joiners get an IDR on request.
 */
export const CAMERA_LIMITS: Readonly<Record<keyof EncoderSettings, readonly [number, number]>> =
  Object.freeze({
    width: [16, 4096],
    height: [16, 4096],
    fps: [1, 120],
    bitrateKbps: [64, 100_000],
    gop: [1, 3600],
  });

/** The forms of a source, as every message lists them. */
export const SOURCE_FORMS = 'auto, test, file:PATH, v4l2:/dev/videoN, sophgo';

export type SourceSpec =
  | { kind: 'auto' }
  | { kind: 'test' }
  | { kind: 'sophgo' }
  | { kind: 'file'; path: string }
  | { kind: 'v4l2'; path: string };

export interface ResolvedOptions extends EncoderSettings {
  source: SourceSpec;
  /** Whether the caller set fps (file replay then ignores the file's own rate). */
  fpsGiven: boolean;
  /** Every stream; one of width x height @ fps when the caller gave no streams. */
  streams: ResolvedStream[];
}

/** Parses a `--source` value; throws a CameraError naming `source` when it is none of the forms. */
export function parseSource(source: unknown): SourceSpec {
  if (typeof source !== 'string') {
    throw new CameraError('INVALID_PARAMETER', `source: expected a string, got ${typeof source}`, {
      parameter: 'source',
    });
  }
  if (source === 'auto' || source === 'test' || source === 'sophgo') return { kind: source };
  for (const kind of ['file', 'v4l2'] as const) {
    if (source.startsWith(`${kind}:`)) {
      const path = source.slice(kind.length + 1);
      if (path === '') {
        throw new CameraError(
          'INVALID_PARAMETER',
          `source: '${source}' needs a path after '${kind}:'`,
          {
            parameter: 'source',
          },
        );
      }
      if (kind === 'v4l2' && !path.startsWith('/')) {
        throw new CameraError(
          'INVALID_PARAMETER',
          `source: '${source}' needs an absolute device path, like v4l2:/dev/video0`,
          { parameter: 'source' },
        );
      }
      return { kind, path };
    }
  }
  throw new CameraError(
    'INVALID_PARAMETER',
    `source: unknown source '${source}' (expected one of ${SOURCE_FORMS})`,
    { parameter: 'source' },
  );
}

function checkInteger(name: keyof typeof CAMERA_LIMITS, value: unknown, where = ''): number {
  const [min, max] = CAMERA_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CameraError(
      'INVALID_PARAMETER',
      `${where}${name}: expected an integer from ${min} to ${max}, got ${String(value)}`,
      { parameter: name },
    );
  }
  if ((name === 'width' || name === 'height') && value % 2 !== 0) {
    throw new CameraError(
      'INVALID_PARAMETER',
      `${where}${name}: must be even (4:2:0 video), got ${value}`,
      {
        parameter: name,
      },
    );
  }
  return value;
}

/** Streams a camera gives at most (one bit each in the addon's per-stream state). */
export const MAX_STREAMS = 8;

function resolveStreams(
  streams: unknown,
  defaults: { bitrateKbps: number; gop: number },
): ResolvedStream[] {
  if (!Array.isArray(streams) || streams.length < 1 || streams.length > MAX_STREAMS) {
    throw new CameraError(
      'INVALID_PARAMETER',
      `streams: expected 1..${MAX_STREAMS} stream options, got ${Array.isArray(streams) ? streams.length : typeof streams}`,
      { parameter: 'streams' },
    );
  }
  return streams.map((s: StreamOptions, i) => {
    const where = `streams[${i}].`;
    const format = s?.format ?? 'h264';
    if (!STREAM_FORMATS.includes(format)) {
      throw new CameraError(
        'INVALID_PARAMETER',
        `${where}format: expected one of ${STREAM_FORMATS.join(', ')}, got ${String(format)}`,
        { parameter: 'streams' },
      );
    }
    const raw = format !== 'h264';
    return {
      width: checkInteger('width', s?.width, where),
      height: checkInteger('height', s?.height, where),
      fps: checkInteger('fps', s?.fps, where),
      bitrateKbps: raw
        ? 0
        : checkInteger('bitrateKbps', s.bitrateKbps ?? defaults.bitrateKbps, where),
      gop: raw ? 0 : checkInteger('gop', s.gop ?? defaults.gop, where),
      format,
    };
  });
}

/** Fills in defaults and checks every option, before any native code runs. */
export function resolveOptions(options: CameraOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new CameraError('INVALID_PARAMETER', 'options: expected an object with a source', {
      parameter: 'source',
    });
  }
  const pick = (name: keyof typeof CAMERA_DEFAULTS) =>
    checkInteger(name, options[name] ?? CAMERA_DEFAULTS[name]);
  const bitrateKbps = pick('bitrateKbps');
  const gop = pick('gop');
  const source = parseSource(options.source);
  if (options.streams !== undefined) {
    const streams = resolveStreams(options.streams, { bitrateKbps, gop });
    const first = streams[0] as ResolvedStream;
    if (first.format !== 'h264') {
      throw new CameraError('INVALID_PARAMETER', 'streams[0].format: stream 0 must be h264', {
        parameter: 'streams',
      });
    }
    const { width, height, fps } = first;
    return { source, width, height, fps, bitrateKbps, gop, fpsGiven: true, streams };
  }
  const width = pick('width');
  const height = pick('height');
  const fps = pick('fps');
  return {
    source,
    width,
    height,
    fps,
    bitrateKbps,
    gop,
    fpsGiven: options.fps !== undefined,
    streams: [{ width, height, fps, bitrateKbps, gop, format: 'h264' }],
  };
}
