import { CameraError } from './errors.js';
import type { EncoderSettings } from './types.js';

/**
 * What the caller asks for. Only `source` is required; see CAMERA_DEFAULTS for the rest. Unset,
 * `fps` of a `file:` source is the recording's own rate (its SPS timing), else 30.
 */
export interface CameraOptions extends Partial<EncoderSettings> {
  /** 'auto' | 'test' | 'file:PATH' | 'v4l2:/dev/videoN' | 'sophgo' */
  source: string;
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

function checkInteger(name: keyof typeof CAMERA_LIMITS, value: unknown): number {
  const [min, max] = CAMERA_LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new CameraError(
      'INVALID_PARAMETER',
      `${name}: expected an integer from ${min} to ${max}, got ${String(value)}`,
      { parameter: name },
    );
  }
  if ((name === 'width' || name === 'height') && value % 2 !== 0) {
    throw new CameraError(
      'INVALID_PARAMETER',
      `${name}: must be even (4:2:0 video), got ${value}`,
      {
        parameter: name,
      },
    );
  }
  return value;
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
  return {
    source: parseSource(options.source),
    width: pick('width'),
    height: pick('height'),
    fps: pick('fps'),
    bitrateKbps: pick('bitrateKbps'),
    gop: pick('gop'),
    fpsGiven: options.fps !== undefined,
  };
}
