// Channels (the seed's v1.1): several streams from one camera, each with its own size, rate and
// format. This file is the one definition of the `--channels` grammar:
//
//   channels := channel ( ',' channel )*                      at most MAX_CHANNELS
//   channel  := WIDTH 'x' HEIGHT '@' FPS ( ':' option )*
//   option   := 'h264' | 'rgb' | 'nv12' | 'rgbp'              format (default h264)
//             | 'bitrate=' KBIT_PER_S | 'gop=' FRAMES         H.264 channels only
//             | 'shm=' BYTES | 'slots=' N                     this channel's ring (BYTES: 8m, 512k)
//
// e.g. `1920x1080@30,1280x720@30:bitrate=2000,640x640@15:rgb`. Channel N is the Nth entry.
// Channel 0 is H.264: v1.0 clients (no `?channel`) and the v1.0 ring name get it. `rgb` (packed
// 8-bit R,G,B), `nv12` and `rgbp` (8-bit R, G and B planes: what the reCamera's NPU takes)
// channels carry raw pixels for ML, through their shm ring only.
import { CAMERA_LIMITS, STREAM_FORMATS, type StreamFormat } from '@cam/sdk-native';
import type { PixelFormat } from '@cam/shm';

export type ChannelFormat = StreamFormat;
const FORMATS: readonly string[] = STREAM_FORMATS;

/** Channels one streamer serves at most (each is a scaler pass, an encoder and a ring). */
export const MAX_CHANNELS = 8;

/** What `--channels` says of one channel; unset fields take the defaults of resolveChannels. */
export interface ChannelRequest {
  width: number;
  height: number;
  fps: number;
  format: ChannelFormat;
  bitrateKbps?: number;
  gop?: number;
  shmBytes?: number;
  shmSlots?: number;
}

/** One channel, every field decided. */
export interface Channel {
  id: number;
  width: number;
  height: number;
  /** 0 only for the single default channel without --fps: the camera decides (a file its own). */
  fps: number;
  format: ChannelFormat;
  /** H.264 target bitrate, kbit/s; 0 for raw channels. */
  bitrateKbps: number;
  /** Frames from one IDR to the next; 0 for raw channels. */
  gop: number;
  /** This channel's ring size, when the spec set it (else planRings decides). */
  shmBytes?: number;
  shmSlots?: number;
}

/** A bad channel spec; `message` is one line naming the channel and what is wrong. */
export class ChannelSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelSpecError';
  }
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Ring sizes a channel may ask for: what cam_shm_writer_create accepts, as --shm-bytes. */
export const RING_BYTES_LIMITS = [64 * KiB, 1024 * MiB] as const;
export const RING_SLOTS_LIMITS = [2, 65_536] as const;

/** Whole bytes, or with a k or m suffix meaning KiB or MiB: 65536, 64k, 8m. */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)([km]?)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = { '': 1, k: KiB, m: MiB }[(match[2] as string).toLowerCase()] as number;
  return Number(match[1]) * unit;
}

function integer(text: string, [min, max]: readonly [number, number]): number | undefined {
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

function parseOne(spec: string, index: number): ChannelRequest {
  const fail = (what: string): never => {
    throw new ChannelSpecError(`channel ${index} "${spec}": ${what}`);
  };
  const [head = '', ...options] = spec.trim().split(':');
  const m = /^(\d+)x(\d+)@(\d+)$/.exec(head);
  if (!m) fail('want WIDTHxHEIGHT@FPS first, e.g. 1280x720@30');
  const size = (text: string, name: 'width' | 'height'): number => {
    const n = integer(text, CAMERA_LIMITS[name]);
    if (n === undefined || n % 2 !== 0) {
      const [min, max] = CAMERA_LIMITS[name];
      return fail(`${name} must be an even integer ${min}..${max}, got ${text}`);
    }
    return n;
  };
  const width = size((m as RegExpExecArray)[1] as string, 'width');
  const height = size((m as RegExpExecArray)[2] as string, 'height');
  const fpsText = (m as RegExpExecArray)[3] as string;
  const fps = integer(fpsText, CAMERA_LIMITS.fps);
  if (fps === undefined) {
    fail(`fps must be an integer ${CAMERA_LIMITS.fps.join('..')}, got ${fpsText}`);
  }
  const request: ChannelRequest = { width, height, fps: fps as number, format: 'h264' };
  const seen = new Set<string>();
  for (const option of options) {
    const [key = '', value] = option.split('=', 2) as [string, string | undefined];
    if (seen.has(key) || (FORMATS.includes(key) && seen.has('format'))) {
      fail(`option ${key} given twice`);
    }
    seen.add(key);
    if (value === undefined && FORMATS.includes(key)) {
      request.format = key as ChannelFormat;
      seen.add('format');
      continue;
    }
    const number = (limits: readonly [number, number], unit = ''): number => {
      const n = integer(value ?? '', limits);
      return n ?? fail(`${key}= must be an integer ${limits.join('..')}${unit}, got ${value}`);
    };
    switch (key) {
      case 'bitrate':
        request.bitrateKbps = number(CAMERA_LIMITS.bitrateKbps, ' (kbit/s)');
        break;
      case 'gop':
        request.gop = number(CAMERA_LIMITS.gop);
        break;
      case 'slots':
        request.shmSlots = number(RING_SLOTS_LIMITS);
        break;
      case 'shm': {
        const bytes = parseByteSize(value ?? '');
        const [min, max] = RING_BYTES_LIMITS;
        if (bytes === undefined || bytes < min || bytes > max) {
          fail(`shm= must be bytes 64k..1024m (an integer, or with a k or m suffix), got ${value}`);
        }
        request.shmBytes = bytes as number;
        break;
      }
      default:
        fail(
          `unknown option "${option}" (want ${FORMATS.join(', ')}, bitrate=KBPS, gop=N, shm=BYTES, slots=N)`,
        );
    }
  }
  if (request.format !== 'h264' && (seen.has('bitrate') || seen.has('gop'))) {
    fail(`bitrate= and gop= apply to h264 channels, not ${request.format} (raw pixels)`);
  }
  return request;
}

/**
 * Parses `--channels`: a comma-separated string, or a list of channel specs (a JSON config
 * file's array). Throws ChannelSpecError with one line naming the channel.
 */
export function parseChannels(raw: string | readonly string[]): ChannelRequest[] {
  const specs = (typeof raw === 'string' ? raw.split(',') : raw.flatMap((s) => s.split(',')))
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0) throw new ChannelSpecError('no channel given');
  if (specs.length > MAX_CHANNELS) {
    throw new ChannelSpecError(`${specs.length} channels given, at most ${MAX_CHANNELS}`);
  }
  const requests = specs.map(parseOne);
  if ((requests[0] as ChannelRequest).format !== 'h264') {
    throw new ChannelSpecError(
      `channel 0 "${specs[0]}" must be h264: v1.0 clients (no ?channel) and the v1.0 ring name get channel 0`,
    );
  }
  return requests;
}

/** The spec string of a channel, as parseChannels reads it back (for logs and errors). */
export function formatChannel(c: ChannelRequest): string {
  const parts = [`${c.width}x${c.height}@${c.fps}`];
  if (c.format !== 'h264') parts.push(c.format);
  if (c.bitrateKbps !== undefined && c.format === 'h264') parts.push(`bitrate=${c.bitrateKbps}`);
  if (c.gop !== undefined && c.format === 'h264') parts.push(`gop=${c.gop}`);
  if (c.shmBytes !== undefined) parts.push(`shm=${c.shmBytes}`);
  if (c.shmSlots !== undefined) parts.push(`slots=${c.shmSlots}`);
  return parts.join(':');
}

/** The single-channel settings that fill in what a channel spec leaves out. */
export interface ChannelDefaults {
  width: number;
  height: number;
  fps: number | undefined;
  bitrateKbps: number;
  gop: number;
}

/**
 * Every channel with every field decided. Without requests: one channel from the defaults
 * (today's single stream; fps undefined lets the camera pick). H.264 channels without a
 * bitrate get the default bitrate scaled by their pixel count relative to channel 0 (1080p at
 * 4000 gives 720p 1778 and 640x480 593, within the seed's 2-4, 1-2 and 0.5-1 Mbit/s); without a
 * GOP, the default GOP.
 */
export function resolveChannels(
  requests: readonly ChannelRequest[] | undefined,
  defaults: ChannelDefaults,
): Channel[] {
  if (!requests) {
    return [
      {
        id: 0,
        width: defaults.width,
        height: defaults.height,
        fps: defaults.fps ?? 0,
        format: 'h264',
        bitrateKbps: defaults.bitrateKbps,
        gop: defaults.gop,
      },
    ];
  }
  const first = requests[0] as ChannelRequest;
  const [minRate, maxRate] = CAMERA_LIMITS.bitrateKbps;
  return requests.map((r, id) => {
    const raw = r.format !== 'h264';
    const scaled = Math.round(
      (defaults.bitrateKbps * r.width * r.height) / (first.width * first.height),
    );
    const channel: Channel = {
      id,
      width: r.width,
      height: r.height,
      fps: r.fps,
      format: r.format,
      bitrateKbps: raw ? 0 : (r.bitrateKbps ?? Math.min(maxRate, Math.max(minRate, scaled))),
      gop: raw ? 0 : (r.gop ?? defaults.gop),
    };
    if (r.shmBytes !== undefined) channel.shmBytes = r.shmBytes;
    if (r.shmSlots !== undefined) channel.shmSlots = r.shmSlots;
    return channel;
  });
}

/**
 * A raw format as its ring and /api/channels name it; `rowBytes` per pixel of a row (the ring's
 * stride is width * rowBytes, rows packed) and `frameBytes` per pixel of the whole picture.
 */
export const RAW_FORMATS: Record<
  Exclude<ChannelFormat, 'h264'>,
  { pixelFormat: PixelFormat; codec: string; name: string; rowBytes: number; frameBytes: number }
> = {
  rgb: { pixelFormat: 'rgb24', codec: 'rgb24', name: 'RGB24', rowBytes: 3, frameBytes: 3 },
  nv12: { pixelFormat: 'nv12', codec: 'nv12', name: 'NV12', rowBytes: 1, frameBytes: 1.5 },
  rgbp: { pixelFormat: 'rgbPlanar', codec: 'rgbp', name: 'RGB planar', rowBytes: 1, frameBytes: 3 },
};

/** Bytes of one raw frame of a channel (tightly packed rows). */
export function rawFrameBytes(c: Pick<Channel, 'width' | 'height' | 'format'>): number {
  return c.format === 'h264' ? 0 : c.width * c.height * RAW_FORMATS[c.format].frameBytes;
}

/** The ring name of channel `id`: `/video_stream` gives `/video_stream_ch0`, ... */
export function ringName(shmName: string, id: number): string {
  return `${shmName}_ch${id}`;
}

/** Slots of a raw channel's ring unless `slots=` says otherwise: an ML reader may lag 3 frames. */
export const RAW_RING_SLOTS = 4;

export interface RingSize {
  totalBytes: number;
  slots: number;
}

/**
 * The size of each channel's ring. H.264 channels without `shm=` share `budget.totalBytes`
 * (--shm-bytes, @cam/shm's 16 MiB by default) in proportion to their pixel counts, each with
 * `budget.slots` slots: one channel gets the whole budget, exactly as before channels. A raw
 * channel's ring holds RAW_RING_SLOTS pictures (ringBytesFor sizes it, from cam_shm.h).
 * `shm=` and `slots=` in a channel's spec override both.
 */
export function planRings(
  channels: readonly Channel[],
  budget: RingSize,
  ringBytesFor: (slots: number, frameBytes: number) => number,
): RingSize[] {
  const shared = channels.filter((c) => c.format === 'h264' && c.shmBytes === undefined);
  const pixels = shared.reduce((n, c) => n + c.width * c.height, 0);
  const page = 4096;
  return channels.map((c) => {
    if (c.format !== 'h264') {
      const slots = c.shmSlots ?? RAW_RING_SLOTS;
      return { slots, totalBytes: c.shmBytes ?? ringBytesFor(slots, rawFrameBytes(c)) };
    }
    const slots = c.shmSlots ?? budget.slots;
    if (c.shmBytes !== undefined) return { slots, totalBytes: c.shmBytes };
    const share = Math.floor((budget.totalBytes * c.width * c.height) / pixels / page) * page;
    return { slots, totalBytes: Math.max(RING_BYTES_LIMITS[0], share) };
  });
}
