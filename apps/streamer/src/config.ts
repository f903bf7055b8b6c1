// The streamer's configuration, a public interface (apps/streamer/README.md): every option is
// read from, in order of precedence, a command-line flag, a CAM_* environment variable, a
// --config JSON file, then its default. One table below drives parsing, validation, the --help
// text and the README flags table, so they cannot drift.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import {
  CAMERA_DEFAULTS,
  CAMERA_LIMITS,
  parseSource,
  SOURCE_FORMS,
  STREAM_FORMATS,
} from '@cam/sdk-native';
import { shmLayout, shmNameProblem } from '@cam/shm';
import { type ChannelRequest, ChannelSpecError, formatChannel, parseChannels } from './channels';
import type { JoinSetting } from './join';
import type { LogLevel } from './log';
import { parsePushUrl } from './rtsp/push';
import { MAX_MTU, MIN_MTU } from './rtsp/rtp';

export type ServerChoice = 'auto' | 'uws' | 'ws';

export interface StreamerConfig {
  /** Camera source: 'auto' | 'test' | 'file:PATH' | 'v4l2:/dev/videoN' | 'sophgo'. */
  source: string;
  width: number;
  height: number;
  /**
   * Unset unless given: the camera then picks (30, a `file:` source its recording's own rate).
   * The rate actually used is the camera's `info.fps`.
   */
  fps: number | undefined;
  /** Encoder bitrate, kbit/s (flag --bitrate; channel 0's, other channels' default scales from it). */
  bitrateKbps: number;
  /** Frames from one IDR to the next. */
  gop: number;
  /**
   * Several streams from the one camera (channels.ts has the grammar); unset: one channel of
   * --width x --height @ --fps. Resolve with resolveChannels(config.channels, ...).
   */
  channels: ChannelRequest[] | undefined;
  host: string;
  port: number;
  /** POSIX shm name of the frame ring, or null when disabled (`--shm-name none`). */
  shmName: string | null;
  /** Group (name or gid) that may read the ring (mode 0640); null: owner only (0600). */
  shmGroup: string | number | null;
  /** Size of the ring in bytes (rounded up to a page); unset: @cam/shm's default. */
  shmBytes: number | undefined;
  /** Frames the ring holds, each slot an equal share of the bytes; unset: @cam/shm's default. */
  shmSlots: number | undefined;
  /** When set, every WebSocket and /api/stream, /metrics request must carry it. */
  token: string | null;
  maxClients: number;
  /** Allowed browser Origins; empty allows any. */
  allowOrigin: string[];
  server: ServerChoice;
  /** How a mid-stream client starts: wait for a requested IDR, the cached GOP, or auto. */
  join: JoinSetting;
  logLevel: LogLevel;
  logJson: boolean;
  /** A client whose unsent bytes exceed this skips frames until the next keyframe. */
  clientBufferBytes: number;
  /** Cap of the cached GOP sent to late joiners; a longer GOP is not cached (forced IDR instead). */
  gopCacheBytes: number;
  /** At most one keyframe request for joiners per this many ms. */
  keyframeIntervalMs: number;
  /** A client that stays over clientBufferBytes this long is disconnected. */
  stallTimeoutMs: number;
  /** A client that answers no ping for this long is disconnected. */
  idleTimeoutS: number;
  /** Largest client→server message; anything bigger closes the connection (1009). */
  maxClientMessageBytes: number;
  /** RTSP server port, or null when RTSP is off (`--rtsp-port 0` or `none`). */
  rtspPort: number | null;
  /** Largest RTP packet in bytes, header included; bigger NAL units go out as FU-A fragments. */
  rtspMtu: number;
  /** With a token: accept HTTP Basic (the token in the clear) besides Digest. */
  rtspBasicAuth: boolean;
  /** rtsp:// URL of a media server to publish channel 0 to, or null. */
  rtspPush: string | null;
}

/** A bad option value; `message` is the one line the CLI prints. */
export class ConfigError extends Error {
  readonly code = 'BAD_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Raw = string | number | boolean | string[];

interface Option<K extends keyof StreamerConfig> {
  key: K;
  /** Long flag without dashes; also the key in the --config JSON file. */
  flag: string;
  env: string;
  /**
   * What the value must be, completing "--flag must be ...". A function where the fact lives in
   * a package loaded only when the flag is used (@cam/shm's slot limits): see expectOf().
   */
  expect: string | (() => string);
  help: string;
  default: StreamerConfig[K];
  /**
   * The default as --help and the README show it, when another package decides it (the camera's
   * fps; a function where it lives in a package loaded on demand: @cam/shm's ring size).
   */
  shown?: string | (() => string);
  /** Returns undefined when the raw value is invalid. */
  parse(raw: Raw): StreamerConfig[K] | undefined;
  /** Programmatic-only options have no flag in --help. */
  cli: boolean;
}

function int(min: number, max: number) {
  return (raw: Raw): number | undefined => {
    // Digits only: " 30" or "+30" is a typo or a quoting mistake, not 30.
    const text = String(raw);
    if (!/^-?\d+$/.test(text)) return undefined;
    const n = Number(text);
    return n >= min && n <= max ? n : undefined;
  };
}

function evenInt(min: number, max: number) {
  const parse = int(min, max);
  return (raw: Raw): number | undefined => {
    const n = parse(raw);
    return n !== undefined && n % 2 === 0 ? n : undefined;
  };
}

function oneOf<T extends string>(...values: T[]) {
  return (raw: Raw): T | undefined =>
    values.includes(String(raw) as T) ? (String(raw) as T) : undefined;
}

/** A source as @cam/sdk-native's parseSource accepts it (its grammar is the one). */
function parseSourceValue(raw: Raw): string | undefined {
  const s = String(raw);
  try {
    parseSource(s);
    return s;
  } catch {
    return undefined; // the caller's message names the flag and the accepted forms
  }
}

/** A camera option's range from @cam/sdk-native's CAMERA_LIMITS. */
function cameraInt(name: keyof typeof CAMERA_LIMITS) {
  const [min, max] = CAMERA_LIMITS[name];
  return name === 'width' || name === 'height' ? evenInt(min, max) : int(min, max);
}

function cameraRange(name: keyof typeof CAMERA_LIMITS): string {
  const [min, max] = CAMERA_LIMITS[name];
  return `${min}..${max}`;
}

function parseChannelsOption(raw: Raw): ChannelRequest[] | undefined {
  if (typeof raw === 'boolean' || typeof raw === 'number') return undefined;
  try {
    return parseChannels(raw);
  } catch (err) {
    if (err instanceof ChannelSpecError) throw new ConfigError(`--channels: ${err.message}`);
    throw err;
  }
}

function parseHost(raw: Raw): string | undefined {
  const s = String(raw);
  return isIP(s) !== 0 || /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(s) ? s : undefined;
}

function parseShmName(raw: Raw): string | null | undefined {
  const s = String(raw);
  if (s === 'none') return null;
  return shmNameProblem(s) === null ? s : undefined; // @cam/shm's rule (cam_shm.h) is the one
}

/** The ring's slot count, within what @cam/shm's writer accepts (cam_shm.h). */
function parseShmSlots(raw: Raw): number | undefined {
  const { minSlots, maxSlots } = shmLayout();
  return int(minSlots, maxSlots)(raw);
}

function parseGroup(raw: Raw): string | number | undefined {
  const s = String(raw).trim();
  if (/^\d{1,10}$/.test(s)) return Number(s) <= 0xfffffffe ? Number(s) : undefined;
  // A POSIX portable group name, as useradd accepts it.
  return /^[a-z_][a-z0-9_.-]{0,31}\$?$/i.test(s) ? s : undefined;
}

const KiB = 1024;
const MiB = 1024 * KiB;

/** Whole bytes, or with a k or m suffix meaning KiB or MiB: 65536, 64k, 8m. */
function parseBytes(min: number, max: number) {
  return (raw: Raw): number | undefined => {
    const match = /^(\d+)([km]?)$/i.exec(String(raw).trim());
    if (!match) return undefined;
    const unit = { '': 1, k: KiB, m: MiB }[(match[2] as string).toLowerCase()] as number;
    const n = Number(match[1]) * unit;
    return n >= min && n <= max ? n : undefined;
  };
}

function parseToken(raw: Raw): string | null | undefined {
  const s = String(raw);
  // Printable ASCII without separators, so it can travel as a query value or subprotocol.
  return /^[\x21-\x7e]{8,256}$/.test(s) && !/[,;\s"]/.test(s) ? s : undefined;
}

function parseOrigins(raw: Raw): string[] | undefined {
  const list = Array.isArray(raw) ? raw.map(String) : String(raw).split(',');
  const origins = list.map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch {
      return undefined;
    }
    if (parsed.origin !== origin) return undefined;
  }
  return origins;
}

function parseRtspPort(raw: Raw): number | null | undefined {
  const s = String(raw).trim();
  if (s === 'none' || s === '0') return null;
  return int(1, 65_535)(s);
}

function parseRtspPush(raw: Raw): string | undefined {
  const s = String(raw).trim();
  return parsePushUrl(s) === null ? undefined : s;
}

function parseBool(raw: Raw): boolean | undefined {
  if (raw === true || raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === false || raw === 'false' || raw === '0' || raw === 'no') return false;
  return undefined;
}

function option<K extends keyof StreamerConfig>(
  o: Omit<Option<K>, 'env' | 'cli'> & { cli?: boolean },
) {
  return {
    ...o,
    env: `CAM_${o.flag.toUpperCase().replaceAll('-', '_')}`,
    cli: o.cli ?? true,
  } as Option<K>;
}

/** Every option, in --help order. */
export const OPTIONS = [
  option({
    key: 'source',
    flag: 'source',
    expect: `one of ${SOURCE_FORMS}`,
    help: 'camera: auto = device SDK if built in, else a working V4L2 camera, else test pattern',
    default: 'auto',
    parse: parseSourceValue,
  }),
  option({
    key: 'width',
    flag: 'width',
    expect: `an even integer ${cameraRange('width')}`,
    help: 'frame width in pixels',
    default: CAMERA_DEFAULTS.width,
    parse: cameraInt('width'),
  }),
  option({
    key: 'height',
    flag: 'height',
    expect: `an even integer ${cameraRange('height')}`,
    help: 'frame height in pixels',
    default: CAMERA_DEFAULTS.height,
    parse: cameraInt('height'),
  }),
  option({
    key: 'fps',
    flag: 'fps',
    expect: `an integer ${cameraRange('fps')}`,
    help: "frames per second; a file: source uses the recording's own rate unless set",
    default: undefined,
    shown: String(CAMERA_DEFAULTS.fps),
    parse: cameraInt('fps'),
  }),
  option({
    key: 'bitrateKbps',
    flag: 'bitrate',
    expect: `an integer ${cameraRange('bitrateKbps')} (kbit/s)`,
    help: 'encoder bitrate, kbit/s',
    default: CAMERA_DEFAULTS.bitrateKbps,
    parse: cameraInt('bitrateKbps'),
  }),
  option({
    key: 'gop',
    flag: 'gop',
    expect: `an integer ${cameraRange('gop')}`,
    help: 'frames from one keyframe (IDR) to the next',
    default: CAMERA_DEFAULTS.gop,
    parse: cameraInt('gop'),
  }),
  option({
    key: 'channels',
    flag: 'channels',
    expect: 'channel specs like 1920x1080@30,1280x720@30,640x640@15:rgb',
    help: `several streams from the one camera: WxH@FPS[:${STREAM_FORMATS.join('|')}][:bitrate=KBPS][:gop=N][:shm=BYTES][:slots=N], comma-separated; channel 0 is what v1.0 clients get`,
    default: undefined,
    shown: '(one: --width x --height @ --fps)',
    parse: parseChannelsOption,
  }),
  option({
    key: 'host',
    flag: 'host',
    expect: 'an IP address or host name',
    help: 'address to listen on; 0.0.0.0 = every interface, 127.0.0.1 = this machine only',
    default: '0.0.0.0',
    parse: parseHost,
  }),
  option({
    key: 'port',
    flag: 'port',
    expect: 'an integer 0..65535',
    help: 'TCP port for WebSocket and HTTP (0 = any free port)',
    default: 8765,
    parse: int(0, 65_535),
  }),
  option({
    key: 'shmName',
    flag: 'shm-name',
    expect: '"none" or a shared-memory name like /video_stream',
    help: 'shared-memory ring for local readers; none = no ring',
    default: '/video_stream',
    parse: parseShmName,
  }),
  option({
    key: 'shmGroup',
    flag: 'shm-group',
    expect: 'a group name or numeric gid',
    help: 'group that may read the ring (mode 0640); default: owner only (0600)',
    default: null,
    parse: parseGroup,
  }),
  option({
    key: 'shmBytes',
    flag: 'shm-bytes',
    expect: 'bytes 64k..1024m: an integer, or with a k or m suffix (KiB, MiB)',
    help: 'size of the ring (RAM); 8m = 8 MiB; each slot gets bytes/slots, a larger frame is not written to the ring',
    default: undefined,
    shown: () => `(@cam/shm: ${shmLayout().defaultTotalBytes / MiB}m)`,
    parse: parseBytes(64 * KiB, 1024 * MiB),
  }),
  option({
    key: 'shmSlots',
    flag: 'shm-slots',
    expect: () => `an integer ${shmLayout().minSlots}..${shmLayout().maxSlots}`,
    help: 'frames the ring holds; a reader a whole ring behind loses frames',
    default: undefined,
    shown: () => `(@cam/shm: ${shmLayout().defaultSlots})`,
    parse: parseShmSlots,
  }),
  option({
    key: 'token',
    flag: 'token',
    expect: '8..256 printable ASCII characters without spaces, commas, semicolons or quotes',
    help: 'require this token (?token= or WebSocket subprotocol); default: anyone may watch',
    default: null,
    parse: parseToken,
  }),
  option({
    key: 'maxClients',
    flag: 'max-clients',
    expect: 'an integer 1..10000',
    help: 'clients at once, WebSocket and RTSP together; more get 503',
    default: 100,
    parse: int(1, 10_000),
  }),
  option({
    key: 'allowOrigin',
    flag: 'allow-origin',
    expect: 'a comma-separated list of origins like http://192.168.42.1',
    help: 'browser Origins allowed to connect (others get 403); default: any',
    default: [],
    parse: parseOrigins,
  }),
  option({
    key: 'server',
    flag: 'server',
    expect: 'one of auto, uws, ws',
    help: 'WebSocket server: uws = uWebSockets.js, ws = pure JS; auto = uws where it loads',
    default: 'auto',
    parse: oneOf<ServerChoice>('auto', 'uws', 'ws'),
  }),
  option({
    key: 'join',
    flag: 'join',
    expect: 'one of auto, keyframe, gop',
    help: 'a mid-stream client starts at: keyframe = a fresh IDR asked of the camera (live at once), gop = the cached GOP (a player that never seeks stays a GOP behind), auto = keyframe where the camera can make one',
    default: 'auto',
    parse: oneOf<JoinSetting>('auto', 'keyframe', 'gop'),
  }),
  option({
    key: 'logLevel',
    flag: 'log-level',
    expect: 'one of debug, info, warn, error',
    help: 'least severe log level printed',
    default: 'info',
    parse: oneOf<LogLevel>('debug', 'info', 'warn', 'error'),
  }),
  option({
    key: 'logJson',
    flag: 'log-json',
    expect: 'true or false',
    help: 'log one JSON object per line instead of text',
    default: false,
    parse: parseBool,
  }),
  option({
    key: 'clientBufferBytes',
    flag: 'client-buffer-bytes',
    expect: 'an integer 65536..268435456',
    help: 'unsent bytes per client before it skips to the next keyframe',
    default: 2 * MiB,
    parse: int(64 * 1024, 256 * MiB),
    cli: false,
  }),
  option({
    key: 'gopCacheBytes',
    flag: 'gop-cache-bytes',
    expect: 'an integer 0..268435456',
    help: 'cap of the cached GOP a late joiner starts from',
    default: 1536 * 1024,
    parse: int(0, 256 * MiB),
    cli: false,
  }),
  option({
    key: 'keyframeIntervalMs',
    flag: 'keyframe-interval-ms',
    expect: 'an integer 0..60000',
    help: 'at most one keyframe request for joiners per this many ms',
    default: 500,
    parse: int(0, 60_000),
    cli: false,
  }),
  option({
    key: 'stallTimeoutMs',
    flag: 'stall-timeout-ms',
    expect: 'an integer 100..600000',
    help: 'a client over its buffer this long is disconnected',
    default: 10_000,
    parse: int(100, 600_000),
    cli: false,
  }),
  option({
    key: 'idleTimeoutS',
    flag: 'idle-timeout-s',
    expect: 'an integer 8..3600',
    help: 'a client answering no ping this long is disconnected',
    default: 60,
    parse: int(8, 3600),
    cli: false,
  }),
  option({
    key: 'maxClientMessageBytes',
    flag: 'max-client-message-bytes',
    expect: 'an integer 16..65536',
    help: 'largest client message (ignored); bigger closes the connection',
    default: 1024,
    parse: int(16, 65_536),
    cli: false,
  }),
  option({
    key: 'rtspPort',
    flag: 'rtsp-port',
    expect: 'an integer 1..65535, or 0 or none (RTSP off)',
    help: 'RTSP server port: rtsp://<host>:PORT/chN (each H.264 channel), /live = channel 0; 0 or none = no RTSP server',
    default: 8554, // contract 5
    parse: parseRtspPort,
  }),
  option({
    key: 'rtspMtu',
    flag: 'rtsp-mtu',
    expect: `an integer ${MIN_MTU}..${MAX_MTU} (bytes)`,
    help: 'largest RTP packet, header included; bigger NAL units are split (FU-A)',
    default: 1400,
    parse: int(MIN_MTU, MAX_MTU),
  }),
  option({
    key: 'rtspBasicAuth',
    flag: 'rtsp-basic-auth',
    expect: 'true or false',
    help: 'with --token, RTSP clients may also send it as Basic auth (in the clear); default: Digest only',
    default: false,
    parse: parseBool,
  }),
  option({
    key: 'rtspPush',
    flag: 'rtsp-push',
    expect: 'an rtsp://[user:password@]host[:port]/path URL',
    help: 'publish channel 0 to this media server (ANNOUNCE/RECORD over TCP), reconnecting with backoff',
    default: null,
    parse: parseRtspPush,
  }),
];

/**
 * The flag to blame for an error's `parameter`: a config key (e.g. `bitrateKbps`, as
 * @cam/sdk-native names its options) maps to its flag (`--bitrate`); a flag name stays itself.
 */
export function flagOf(parameter: string): string {
  return `--${OPTIONS.find((o) => o.key === parameter)?.flag ?? parameter}`;
}

export const DEFAULT_CONFIG: StreamerConfig = Object.fromEntries(
  OPTIONS.map((o) => [o.key, o.default]),
) as unknown as StreamerConfig;

function describe(raw: Raw): string {
  return JSON.stringify(Array.isArray(raw) ? raw.join(',') : raw);
}

/** An option's "must be ..." text. */
export function expectOf(o: { expect: string | (() => string) }): string {
  return typeof o.expect === 'function' ? o.expect() : o.expect;
}

function setOption(
  config: Record<string, unknown>,
  o: (typeof OPTIONS)[number],
  raw: Raw,
  from: string,
): void {
  let value: unknown;
  try {
    value = o.parse(raw);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${err.message}${from}`);
    // A check that needs a package loaded on demand (@cam/shm's addon) may fail to load it.
    throw new ConfigError(`--${o.flag}: cannot check it: ${(err as Error).message}${from}`);
  }
  if (value === undefined) {
    throw new ConfigError(`--${o.flag} must be ${expectOf(o)}, got ${describe(raw)}${from}`);
  }
  config[o.key] = value;
}

/** `given`: the options set by the caller (not defaults), for the checks that depend on it. */
function checkConsistency(config: StreamerConfig, given: ReadonlySet<string>): StreamerConfig {
  if (config.rtspBasicAuth && config.token === null) {
    throw new ConfigError('--rtsp-basic-auth needs --token: without a token RTSP asks for no auth');
  }
  if (config.channels !== undefined) {
    const clash = (['width', 'height', 'fps'] as const).find((k) => given.has(k));
    if (clash) {
      throw new ConfigError(
        `--${clash} and --channels both set the size or rate: give them in --channels only (e.g. --channels ${config.width}x${config.height}@${config.fps ?? CAMERA_DEFAULTS.fps})`,
      );
    }
  }
  if (config.gopCacheBytes > config.clientBufferBytes) {
    throw new ConfigError(
      `--gop-cache-bytes (${config.gopCacheBytes}) must not exceed --client-buffer-bytes (${config.clientBufferBytes}): a late joiner would start over its own limit`,
    );
  }
  return config;
}

/**
 * Validates a programmatic config the same way as the CLI: each given key goes through the
 * option's parser; missing keys take their defaults. Throws ConfigError.
 */
export function resolveConfig(partial: Partial<StreamerConfig> = {}): StreamerConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const given = new Set<string>();
  for (const [key, value] of Object.entries(partial)) {
    const o = OPTIONS.find((x) => x.key === key);
    if (!o) throw new ConfigError(`unknown option ${JSON.stringify(key)}`);
    if (value === undefined) continue;
    // A resolved config handed back in carries every key: only a non-default value was chosen.
    if (value !== o.default) given.add(key);
    if (key === 'channels' && Array.isArray(value) && value.every((v) => typeof v === 'object')) {
      // Already parsed (a resolved config handed back in): checked through the same grammar.
      setOption(config, o, (value as ChannelRequest[]).map(formatChannel), '');
      continue;
    }
    if (value === null) {
      // null is how the API says "none" for the optional features.
      if (o.default !== null && key !== 'shmName' && key !== 'rtspPort') {
        throw new ConfigError(`--${o.flag} must be ${expectOf(o)}, got null`);
      }
      config[key] = null;
      continue;
    }
    setOption(config, o, value as Raw, '');
  }
  return checkConsistency(config as unknown as StreamerConfig, given);
}

export type CliResult =
  | { kind: 'run'; config: StreamerConfig }
  | { kind: 'help' }
  | { kind: 'version' };

/** A config file holds a few dozen short values; anything bigger is a wrong path. */
export const MAX_CONFIG_FILE_BYTES = 64 * 1024;

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO given as the path must not block the start; fstat then refuses it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) {
      throw new ConfigError(`--config ${path} is not a regular file: give the path of a JSON file`);
    }
    if (st.size > MAX_CONFIG_FILE_BYTES) {
      throw new ConfigError(
        `--config ${path} is ${st.size} bytes, more than the ${MAX_CONFIG_FILE_BYTES} a config file may have`,
      );
    }
    // Read at most the cap even if the file grew since fstat.
    const buffer = Buffer.alloc(MAX_CONFIG_FILE_BYTES);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    // An editor's UTF-8 byte-order mark is not JSON, but it is no reason to refuse the file.
    text = buffer.toString('utf8', 0, length).replace(/^\uFEFF/, '');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError(`--config cannot read ${path}: ${e.code ?? e.message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`--config ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(`--config ${path} must hold a JSON object of flag names to values`);
  }
  return json as Record<string, unknown>;
}

function isRaw(value: unknown): value is Raw {
  return (
    typeof value === 'string' ||
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    (Array.isArray(value) && value.every((v) => typeof v === 'string'))
  );
}

/**
 * Parses argv (without node and script) and env into a config, or a help/version request.
 * Precedence: flag > CAM_* env > --config file > default. Throws ConfigError with one line.
 */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliResult {
  const cliOptions = OPTIONS.filter((o) => o.cli);
  const spec: Record<string, { type: 'string' | 'boolean' }> = {
    config: { type: 'string' },
    help: { type: 'boolean' },
    version: { type: 'boolean' },
  };
  for (const o of cliOptions) spec[o.flag] = { type: isSwitch(o) ? 'boolean' : 'string' };
  // `pnpm start -- --fps 15` hands the `--` through (npm drops it); it ends no options here.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args, options: spec, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new ConfigError(cliParseMessage(err as Error & { code?: string }));
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  const given = new Set<string>();
  const configPath = (values.config as string | undefined) ?? env.CAM_CONFIG;
  const file = configPath === undefined ? {} : readConfigFile(configPath);
  for (const name of Object.keys(file)) {
    if (!cliOptions.some((x) => x.flag === name)) {
      throw new ConfigError(`--config ${configPath}: unknown key ${JSON.stringify(name)}`);
    }
  }
  // Each option from its winning source only: a flag makes a bad CAM_* value or file entry for
  // the same option irrelevant (CAM_PORT=-1 does not stop `--port 9000`).
  for (const o of cliOptions) {
    const flag = values[o.flag];
    const envValue = env[o.env];
    if (flag !== undefined) {
      setOption(config, o, flag, '');
    } else if (envValue !== undefined && envValue !== '') {
      setOption(config, o, envValue, ` (from ${o.env})`);
    } else if (Object.hasOwn(file, o.flag)) {
      const raw = file[o.flag];
      if (!isRaw(raw)) {
        throw new ConfigError(`--${o.flag} must be ${expectOf(o)}, got ${JSON.stringify(raw)}`);
      }
      setOption(config, o, raw, ` (from ${configPath})`);
    } else {
      continue;
    }
    given.add(o.key);
  }
  return { kind: 'run', config: checkConsistency(config as unknown as StreamerConfig, given) };
}

function cliParseMessage(err: Error & { code?: string }): string {
  const flag = /'(-[^ ']+)/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? ''} (see --help)`.replace('  ', ' ');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return err.message.includes('ambiguous')
        ? `${flag} got a value starting with "-": write it as ${flag}=VALUE`
        : `${flag ?? 'a flag'} needs a value (see --help)`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(err.message)?.[1] ?? ''}: every option is a --flag (see --help)`;
    default:
      return err.message.split('\n')[0] ?? String(err);
  }
}

/** A flag without a value (--log-json): its option is a boolean. */
function isSwitch(o: (typeof OPTIONS)[number]): boolean {
  return typeof o.default === 'boolean';
}

/** The default --help shows; "(@cam/shm)" when the package that knows it cannot load. */
export function shownOf(o: (typeof OPTIONS)[number]): string {
  if (typeof o.shown !== 'function') return o.shown ?? shownDefault(o.default);
  try {
    return o.shown();
  } catch {
    return '(@cam/shm)';
  }
}

function shownDefault(value: unknown): string {
  if (value === null) return '(none)';
  if (Array.isArray(value)) return value.length ? value.join(',') : '(any)';
  return String(value);
}

/** The --help text: every flag with its env variable and default. */
export function helpText(version: string): string {
  const rows = OPTIONS.filter((o) => o.cli).map((o) => {
    const flag = isSwitch(o) ? `--${o.flag}` : `--${o.flag} <value>`;
    return [flag, o.env, shownOf(o), o.help];
  });
  rows.push(['--config <file>', 'CAM_CONFIG', '(none)', 'JSON file of flag names to values']);
  rows.push(['--help', '', '', 'print this help']);
  rows.push(['--version', '', '', 'print the version']);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const lines = rows.map((r) =>
    r
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell))
      .join('  ')
      .trimEnd(),
  );
  return [
    `cam-streamer ${version}: live H.264 from a camera to WebSocket and RTSP clients and shared memory`,
    '',
    'Usage: cam-streamer [flags]',
    'Precedence: flag > CAM_* environment variable > --config file > default.',
    '',
    [
      'flag'.padEnd(widths[0] as number),
      'env'.padEnd(widths[1] as number),
      'default'.padEnd(widths[2] as number),
      'meaning',
    ].join('  '),
    ...lines,
    '',
    'Without --token anyone who can reach the port can watch the stream.',
    '',
  ].join('\n');
}
