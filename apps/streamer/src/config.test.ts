import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shmLayout } from '@cam/shm';
import { describe, expect, it } from 'vitest';
import { parseChannels } from './channels';
import {
  ConfigError,
  DEFAULT_CONFIG,
  expectOf,
  helpText,
  OPTIONS,
  parseCli,
  resolveConfig,
  shownOf,
} from './config';

const dir = mkdtempSync(join(tmpdir(), 'cam-config-'));
function configFile(content: unknown): string {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const result = parseCli(argv, env);
  if (result.kind !== 'run') throw new Error(`expected a config, got ${result.kind}`);
  return result.config;
}

function errorOf(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    parseCli(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

// One valid and one invalid value per CLI flag, with the config each valid one gives.
const CASES: Record<string, { good: string; value: unknown; bad: string[] }> = {
  source: {
    good: 'file:/tmp/a.h264',
    value: 'file:/tmp/a.h264',
    bad: ['camera', 'file:', 'v4l2:video0'],
  },
  width: { good: '640', value: 640, bad: ['abc', '641', '8', '5000', '64.0'] },
  height: { good: '480', value: 480, bad: ['-2', '4098', 'x'] },
  fps: { good: '25', value: 25, bad: ['abc', '0', '121', '2.5'] },
  bitrate: { good: '1500', value: 1500, bad: ['fast', '10', '100001'] },
  gop: { good: '60', value: 60, bad: ['0', '3601', 'g'] },
  // Bad specs have their own one-line messages (channels.test.ts, and below).
  channels: {
    good: '640x480@30,320x320@15:rgb',
    value: [
      { width: 640, height: 480, fps: 30, format: 'h264' },
      { width: 320, height: 320, fps: 15, format: 'rgb' },
    ],
    bad: [],
  },
  host: { good: '127.0.0.1', value: '127.0.0.1', bad: ['bad host', '-x'] },
  port: { good: '0', value: 0, bad: ['65536', '-1', 'http'] },
  'shm-name': { good: 'none', value: null, bad: ['video', '/a/b', '/', '/video:stream'] },
  'shm-group': { good: 'video', value: 'video', bad: ['two words', '-1', '4294967295', 'a:b'] },
  'shm-bytes': { good: '4m', value: 4 * 1024 * 1024, bad: ['4MiB', '1.5m', '63k', '1025m', '-1'] },
  'shm-slots': { good: '16', value: 16, bad: ['1', '65537', 'many', '16k'] },
  token: {
    good: 's3cret-token',
    value: 's3cret-token',
    bad: ['short', 'has space in it', 'a,b,c,d,e,f'],
  },
  'max-clients': { good: '5', value: 5, bad: ['0', 'many'] },
  'allow-origin': {
    good: 'http://a.example,https://b.example:8443',
    value: ['http://a.example', 'https://b.example:8443'],
    bad: ['a.example', 'http://a.example/path'],
  },
  server: { good: 'ws', value: 'ws', bad: ['uwebsockets', 'auto2'] },
  join: { good: 'gop', value: 'gop', bad: ['idr', 'keyframes'] },
  'log-level': { good: 'warn', value: 'warn', bad: ['verbose'] },
  'rtsp-port': { good: '554', value: 554, bad: ['65536', '-1', 'rtsp', 'off'] },
  'rtsp-mtu': { good: '1200', value: 1200, bad: ['127', '65001', 'big'] },
  'rtsp-push': {
    good: 'rtsp://cam:pw@10.0.0.5:8554/garage',
    value: 'rtsp://cam:pw@10.0.0.5:8554/garage',
    bad: ['http://10.0.0.5/x', 'rtsp://', '10.0.0.5:8554/x'],
  },
};

const cliOptions = OPTIONS.filter((o) => o.cli);

describe('parseCli', () => {
  it('gives the defaults with no flags, env or file', () => {
    expect(run([])).toEqual(DEFAULT_CONFIG);
    expect(DEFAULT_CONFIG).toMatchObject({
      port: 8765,
      host: '0.0.0.0',
      shmName: '/video_stream',
      token: null,
    });
  });

  it('has a test case for every flag', () => {
    expect(Object.keys(CASES).sort()).toEqual(
      cliOptions
        .filter((o) => typeof o.default !== 'boolean')
        .map((o) => o.flag)
        .sort(),
    );
  });

  for (const [flag, c] of Object.entries(CASES)) {
    const o = cliOptions.find((x) => x.flag === flag);
    it(`--${flag}: flag, env and config file all set it; bad values name the flag`, () => {
      if (!o) throw new Error(`no option ${flag}`);
      expect(run([`--${flag}`, c.good])[o.key]).toEqual(c.value);
      expect(run([`--${flag}=${c.good}`])[o.key]).toEqual(c.value);
      expect(run([], { [o.env]: c.good })[o.key]).toEqual(c.value);
      expect(run(['--config', configFile({ [flag]: c.good })])[o.key]).toEqual(c.value);
      for (const bad of c.bad) {
        const message = errorOf([`--${flag}=${bad}`]);
        expect(message).toBe(`--${flag} must be ${expectOf(o)}, got ${JSON.stringify(bad)}`);
        expect(message).not.toContain('\n');
        expect(errorOf([], { [o.env]: bad })).toBe(`${message} (from ${o.env})`);
        const file = configFile({ [flag]: bad });
        expect(errorOf(['--config', file])).toBe(`${message} (from ${file})`);
      }
    });
  }

  it('--log-json is a switch, and true/false/1/0 in env and file', () => {
    expect(run(['--log-json']).logJson).toBe(true);
    expect(run([], { CAM_LOG_JSON: '1' }).logJson).toBe(true);
    expect(run([], { CAM_LOG_JSON: 'false' }).logJson).toBe(false);
    expect(run(['--config', configFile({ 'log-json': true })]).logJson).toBe(true);
    expect(errorOf([], { CAM_LOG_JSON: 'maybe' })).toBe(
      '--log-json must be true or false, got "maybe" (from CAM_LOG_JSON)',
    );
  });

  it('serves RTSP on 8554 unless --rtsp-port is 0 or none', () => {
    expect(run([]).rtspPort).toBe(8554);
    expect(run(['--rtsp-port', '0']).rtspPort).toBeNull();
    expect(run([], { CAM_RTSP_PORT: 'none' }).rtspPort).toBeNull();
    expect(resolveConfig({ rtspPort: null }).rtspPort).toBeNull();
    expect(resolveConfig({ rtspPort: 0 }).rtspPort).toBeNull();
  });

  it('--rtsp-basic-auth is a switch and needs --token', () => {
    expect(run(['--rtsp-basic-auth', '--token', 's3cret-token']).rtspBasicAuth).toBe(true);
    expect(run([]).rtspBasicAuth).toBe(false);
    expect(errorOf(['--rtsp-basic-auth'])).toBe(
      '--rtsp-basic-auth needs --token: without a token RTSP asks for no auth',
    );
    expect(errorOf([], { CAM_RTSP_BASIC_AUTH: 'maybe' })).toBe(
      '--rtsp-basic-auth must be true or false, got "maybe" (from CAM_RTSP_BASIC_AUTH)',
    );
  });

  it('takes numbers and lists in the config file as JSON types too', () => {
    const file = configFile({
      fps: 15,
      port: 9000,
      'allow-origin': ['http://x.example'],
      'shm-group': 44,
    });
    expect(run(['--config', file])).toMatchObject({
      fps: 15,
      port: 9000,
      allowOrigin: ['http://x.example'],
      shmGroup: 44,
    });
    expect(run(['--shm-group', '0']).shmGroup).toBe(0);
  });

  it('reads --shm-bytes as bytes, k = KiB or m = MiB, and leaves the ring size to @cam/shm unless set', () => {
    expect(run(['--shm-bytes', '65536']).shmBytes).toBe(65_536);
    expect(run(['--shm-bytes', '640K']).shmBytes).toBe(640 * 1024);
    expect(run([], { CAM_SHM_BYTES: '1024m' }).shmBytes).toBe(1024 * 1024 * 1024);
    expect(run(['--config', configFile({ 'shm-bytes': 8388608, 'shm-slots': 8 })])).toMatchObject({
      shmBytes: 8 * 1024 * 1024,
      shmSlots: 8,
    });
    expect(run([])).toMatchObject({ shmBytes: undefined, shmSlots: undefined });
    // --help shows @cam/shm's own defaults, from its layout (cam_shm.h).
    const { defaultTotalBytes, defaultSlots } = shmLayout();
    const line = (flag: string) =>
      helpText('x')
        .split('\n')
        .find((l) => l.startsWith(`--${flag} `));
    expect(line('shm-bytes')).toContain(` (@cam/shm: ${defaultTotalBytes / 1024 / 1024}m) `);
    expect(line('shm-slots')).toContain(` (@cam/shm: ${defaultSlots}) `);
  });

  it('ranks flag over env over config file over default, option by option', () => {
    const file = configFile({ fps: 10, width: 320, height: 240, gop: 12 });
    const env = { CAM_FPS: '20', CAM_WIDTH: '640', CAM_CONFIG: file };
    const config = run(['--fps', '25'], env);
    expect(config).toMatchObject({ fps: 25, width: 640, height: 240, gop: 12, bitrateKbps: 4000 });
    const shmFile = configFile({ 'shm-bytes': '2m', 'shm-slots': 4 });
    const shmEnv = { CAM_SHM_BYTES: '3m', CAM_SHM_SLOTS: '6', CAM_CONFIG: shmFile };
    expect(run(['--shm-slots', '8'], shmEnv)).toMatchObject({
      shmBytes: 3 * 1024 * 1024,
      shmSlots: 8,
    });
    expect(run([], { CAM_CONFIG: shmFile })).toMatchObject({
      shmBytes: 2 * 1024 * 1024,
      shmSlots: 4,
    });
  });

  it('names --channels and the channel in a bad spec, from flag, env and file', () => {
    expect(errorOf(['--channels', '640x480@30,320x240'])).toBe(
      '--channels: channel 1 "320x240": want WIDTHxHEIGHT@FPS first, e.g. 1280x720@30',
    );
    expect(errorOf([], { CAM_CHANNELS: '640x480@0' })).toBe(
      '--channels: channel 0 "640x480@0": fps must be an integer 1..120, got 0 (from CAM_CHANNELS)',
    );
    const file = configFile({ channels: ['640x480@30', '320x240@30:mjpeg'] });
    expect(errorOf(['--config', file])).toBe(
      `--channels: channel 1 "320x240@30:mjpeg": unknown option "mjpeg" (want h264, rgb, nv12, rgbp, bitrate=KBPS, gop=N, shm=BYTES, slots=N) (from ${file})`,
    );
    expect(
      run(['--config', configFile({ channels: ['640x480@30', '320x240@30'] })]).channels,
    ).toHaveLength(2);
  });

  it('refuses --width, --height or --fps beside --channels (which sets them per channel)', () => {
    expect(errorOf(['--channels', '640x480@30', '--fps', '15'])).toBe(
      '--fps and --channels both set the size or rate: give them in --channels only (e.g. --channels 1920x1080@15)',
    );
    expect(() => resolveConfig({ channels: parseChannels('640x480@30'), width: 640 })).toThrow(
      /^--width and --channels both set/,
    );
    // --bitrate and --gop are the defaults channels scale from: allowed.
    expect(run(['--channels', '640x480@30', '--bitrate', '900', '--gop', '15'])).toMatchObject({
      bitrateKbps: 900,
      gop: 15,
    });
    const config = resolveConfig({ channels: parseChannels('640x480@30,64x64@5:nv12') });
    expect(resolveConfig(config)).toEqual(config);
  });

  it('finds the config file through CAM_CONFIG, and --config wins over it', () => {
    const a = configFile({ fps: 11 });
    const b = configFile({ fps: 12 });
    expect(run([], { CAM_CONFIG: a }).fps).toBe(11);
    expect(run(['--config', b], { CAM_CONFIG: a }).fps).toBe(12);
  });

  it('takes flags after a leading -- (as pnpm start -- passes them)', () => {
    expect(run(['--', '--fps', '12']).fps).toBe(12);
  });

  it('ignores empty env variables', () => {
    expect(run([], { CAM_FPS: '' }).fps).toBeUndefined();
  });

  it('leaves fps unset unless a flag, CAM_FPS or the config file sets it (the camera decides)', () => {
    expect(run([]).fps).toBeUndefined();
    expect(resolveConfig({ source: 'file:/tmp/a.h264' }).fps).toBeUndefined();
    expect(run(['--fps', '25']).fps).toBe(25);
  });

  it('reports bad config files in one line', () => {
    expect(errorOf(['--config', join(dir, 'missing.json')])).toBe(
      `--config cannot read ${join(dir, 'missing.json')}: ENOENT`,
    );
    const broken = configFile('{ "fps": ');
    expect(errorOf(['--config', broken])).toMatch(
      new RegExp(`^--config ${broken} is not valid JSON: `),
    );
    const list = configFile([1, 2]);
    expect(errorOf(['--config', list])).toBe(
      `--config ${list} must hold a JSON object of flag names to values`,
    );
    const unknown = configFile({ framerate: 30 });
    expect(errorOf(['--config', unknown])).toBe(`--config ${unknown}: unknown key "framerate"`);
    const nested = configFile({ fps: { value: 30 } });
    expect(errorOf(['--config', nested])).toBe('--fps must be an integer 1..120, got {"value":30}');
  });

  it('reads only regular files of at most 64 KiB as config (no /dev/zero, no FIFO)', () => {
    expect(errorOf(['--config', '/dev/zero'])).toBe(
      '--config /dev/zero is not a regular file: give the path of a JSON file',
    );
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    expect(errorOf(['--config', fifo])).toBe(
      `--config ${fifo} is not a regular file: give the path of a JSON file`,
    );
    const big = configFile(`{"fps": 30${' '.repeat(70_000)}}`);
    expect(errorOf(['--config', big])).toBe(
      `--config ${big} is 70011 bytes, more than the 65536 a config file may have`,
    );
  });

  it('accepts a config file that starts with a UTF-8 byte-order mark', () => {
    expect(run(['--config', configFile('\uFEFF{"fps": 15}')]).fps).toBe(15);
  });

  it('lets a flag win over a bad env variable or file value for the same option', () => {
    expect(run(['--port', '9000'], { CAM_PORT: '-1' }).port).toBe(9000);
    expect(run(['--port', '9000', '--config', configFile({ port: 'x' })]).port).toBe(9000);
    expect(run([], { CAM_FPS: '20', CAM_CONFIG: configFile({ fps: 0 }) }).fps).toBe(20);
    expect(errorOf([], { CAM_PORT: '-1' })).toBe(
      '--port must be an integer 0..65535, got "-1" (from CAM_PORT)',
    );
  });

  it('refuses numbers with spaces or signs around them', () => {
    for (const bad of [' 30', '30 ', '+30', '3 0', '']) {
      expect(errorOf(['--fps', bad])).toBe(
        `--fps must be an integer 1..120, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('reports unknown flags, missing values and stray arguments in one line', () => {
    expect(errorOf(['--frame-rate', '30'])).toBe('unknown flag --frame-rate (see --help)');
    expect(errorOf(['--fps'])).toBe('--fps needs a value (see --help)');
    expect(errorOf(['--port', '-1'])).toBe(
      '--port got a value starting with "-": write it as --port=VALUE',
    );
    expect(errorOf(['test'])).toBe(
      'unexpected argument test: every option is a --flag (see --help)',
    );
  });

  it('answers --help and --version before looking at other values', () => {
    expect(parseCli(['--help', '--fps', 'abc'], {}).kind).toBe('help');
    expect(parseCli(['--version'], { CAM_FPS: 'abc' }).kind).toBe('version');
  });
});

describe('resolveConfig', () => {
  it('validates programmatic options like flags and fills in defaults', () => {
    expect(resolveConfig({ fps: 15, shmName: null })).toEqual({
      ...DEFAULT_CONFIG,
      fps: 15,
      shmName: null,
    });
    expect(() => resolveConfig({ fps: 0 })).toThrow('--fps must be an integer 1..120, got 0');
    expect(() => resolveConfig({ nope: 1 } as never)).toThrow('unknown option "nope"');
    expect(() => resolveConfig({ port: null } as never)).toThrow(
      '--port must be an integer 0..65535, got null',
    );
  });

  it('refuses a GOP cache bigger than a client may buffer', () => {
    expect(() =>
      resolveConfig({ gopCacheBytes: 4 * 1024 * 1024, clientBufferBytes: 1024 * 1024 }),
    ).toThrow(/--gop-cache-bytes \(4194304\) must not exceed --client-buffer-bytes \(1048576\)/);
  });
});

describe('helpText', () => {
  it('lists every flag with its env variable and default', () => {
    const text = helpText('1.2.3');
    expect(text).toContain('cam-streamer 1.2.3');
    for (const o of cliOptions) {
      const line = text.split('\n').find((l) => l.startsWith(`--${o.flag} `));
      expect(line, o.flag).toBeDefined();
      expect(line).toContain(o.env);
    }
    expect(text).toMatch(/--port <value> +CAM_PORT +8765 /);
    expect(text).toMatch(/--shm-name <value> +CAM_SHM_NAME +\/video_stream /);
    expect(text).toMatch(/--config <file> +CAM_CONFIG/);
    expect(text).toMatch(
      /--fps <value> +CAM_FPS +30 +frames per second; a file: source uses the recording's own rate/,
    );
    expect(text).toContain('--version');
    expect(text).toContain('anyone who can reach the port can watch');
  });
});

describe('README', () => {
  it('documents every flag with its env variable and default', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    for (const o of cliOptions) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`--${o.flag}\` |`));
      expect(row, o.flag).toBeDefined();
      expect(row).toContain(`\`${o.env}\``);
      const none = o.default === null || (Array.isArray(o.default) && o.default.length === 0);
      const shown = o.shown !== undefined ? shownOf(o) : none ? undefined : String(o.default);
      if (shown !== undefined) expect(row).toContain(`\`${shown}\``);
    }
  });
});
