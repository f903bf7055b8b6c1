// The built bin as a real process: flags, env, config file, errors, signals.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPTIONS } from '../src/config';
import { httpGet, openClient, waitFor } from './clients';
import { concat, ffmpegDecode, makeH264 } from './h264';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli.js');
/** The package's bin: dist/cli.js in Node with the flags the streamer is measured with. */
const BIN = join(import.meta.dirname, '..', 'bin', 'cam-streamer');
const VERSION = JSON.parse(
  readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
).version;
const dir = mkdtempSync(join(tmpdir(), 'cam-cli-'));
const runFile = promisify(execFile);

/** Env without the developer's own CAM_* settings. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('CAM_')),
  );
  return { ...env, ...extra };
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await runFile('node', [CLI, ...args], { env: cleanEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

interface Running {
  proc: ChildProcess;
  /** JSON log lines so far. */
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
  started: Record<string, unknown>;
  port: number;
}

/** Starts `node dist/cli.js` (or `command`, e.g. the bin) and waits for its start log line. */
async function startCli(
  args: string[],
  env: Record<string, string> = {},
  command: string[] = ['node', CLI],
): Promise<Running> {
  const [file, ...before] = command as [string, ...string[]];
  const proc = spawn(
    file,
    [...before, '--log-json', '--host', '127.0.0.1', '--port', '0', '--rtsp-port', 'none', ...args],
    {
      env: cleanEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  let pending = '';
  proc.stdout?.on('data', (d: Buffer) => {
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) logs.push(JSON.parse(line));
  });
  proc.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((done) => proc.on('exit', (code) => done(code)));
  let code: number | null | undefined;
  void exited.then((c) => {
    code = c;
  });
  await waitFor('the start log line', () => {
    if (code !== undefined) throw new Error(`cam-streamer exited ${code}: ${stderr}`);
    return logs.some((l) => l.event === 'streamer started');
  });
  const started = logs.find((l) => l.event === 'streamer started') as Record<string, unknown>;
  const port = Number(String(started.listen).split(':').pop());
  return { proc, logs, exited, started, port };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm --filter @cam/streamer build`);
});

describe('cam-streamer CLI', () => {
  it('--help lists every flag with its env variable; --version prints the version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const o of OPTIONS.filter((x) => x.cli)) {
      expect(help.stdout).toMatch(new RegExp(`^--${o.flag}\\b.*${o.env}`, 'm'));
    }
    expect(help.stdout).toMatch(/^--config <file> +CAM_CONFIG/m);
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
  });

  it('exits non-zero with one line naming the flag for each bad value, from flag, env or file', async () => {
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ bitrate: 'fast' }));
    const cases: Array<[string[], Record<string, string>, string]> = [
      [['--fps', 'abc'], {}, 'cam-streamer: --fps must be an integer 1..120, got "abc"'],
      [['--width', '641'], {}, 'cam-streamer: --width must be an even integer 16..4096, got "641"'],
      [['--height', '0'], {}, 'cam-streamer: --height must be an even integer 16..4096, got "0"'],
      [['--gop', '0'], {}, 'cam-streamer: --gop must be an integer 1..3600, got "0"'],
      [['--port', '70000'], {}, 'cam-streamer: --port must be an integer 0..65535, got "70000"'],
      [
        ['--source', 'webcam'],
        {},
        'cam-streamer: --source must be one of auto, test, file:PATH, v4l2:/dev/videoN, sophgo, got "webcam"',
      ],
      [
        ['--shm-name', 'video'],
        {},
        'cam-streamer: --shm-name must be "none" or a shared-memory name like /video_stream, got "video"',
      ],
      [
        ['--shm-bytes', '16MiB'],
        {},
        'cam-streamer: --shm-bytes must be bytes 64k..1024m: an integer, or with a k or m suffix (KiB, MiB), got "16MiB"',
      ],
      [['--shm-slots', '1'], {}, 'cam-streamer: --shm-slots must be an integer 2..65536, got "1"'],
      [
        ['--token', 'short'],
        {},
        'cam-streamer: --token must be 8..256 printable ASCII characters without spaces, commas, semicolons or quotes, got "short"',
      ],
      [['--host', 'a b'], {}, 'cam-streamer: --host must be an IP address or host name, got "a b"'],
      [
        ['--max-clients', '0'],
        {},
        'cam-streamer: --max-clients must be an integer 1..10000, got "0"',
      ],
      [
        ['--allow-origin', 'example.com'],
        {},
        'cam-streamer: --allow-origin must be a comma-separated list of origins like http://192.168.42.1, got "example.com"',
      ],
      [
        ['--server', 'nginx'],
        {},
        'cam-streamer: --server must be one of auto, uws, ws, got "nginx"',
      ],
      [
        ['--log-level', 'loud'],
        {},
        'cam-streamer: --log-level must be one of debug, info, warn, error, got "loud"',
      ],
      [
        [],
        { CAM_GOP: 'x' },
        'cam-streamer: --gop must be an integer 1..3600, got "x" (from CAM_GOP)',
      ],
      [
        ['--config', file],
        {},
        `cam-streamer: --bitrate must be an integer 64..100000 (kbit/s), got "fast" (from ${file})`,
      ],
      [['--nope'], {}, 'cam-streamer: unknown flag --nope (see --help)'],
    ];
    const results = await Promise.all(cases.map(([args, env]) => runCli(args, env)));
    results.forEach((r, i) => {
      const [args, env, line] = cases[i] as (typeof cases)[number];
      expect(r.code, `${args.join(' ')} ${JSON.stringify(env)}`).not.toBe(0);
      expect(r.stderr).toBe(`${line}\n`);
      expect(r.stdout).toBe('');
    });
  });

  it('exits 1 with one line when the camera cannot open', async () => {
    const r = await runCli([
      '--source',
      `file:${join(dir, 'missing.h264')}`,
      '--shm-name',
      'none',
      '--port',
      '0',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^cam-streamer: .*missing\.h264/);
    const shmName = `/cam_cli_group_${process.pid}`;
    const g = await runCli(['--source', 'test', '--width', '160', '--height', '120'], {
      CAM_SHM_NAME: shmName,
      CAM_SHM_GROUP: 'no_such_group',
      CAM_PORT: '0',
    });
    expect(g.code).toBe(1);
    // Channel 0's ring is NAME_ch0 (NAME is a second name of it): that is what it failed to make.
    expect(g.stderr).toBe(
      `cam-streamer: --shm-group: shm create ${shmName}_ch0: unknown group no_such_group (INVALID_ARGUMENT)\n`,
    );
    expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
    expect(existsSync(`/dev/shm${shmName}_ch0`)).toBe(false);
    // Each valid alone, but 65536 slots do not fit in 64 KiB: @cam/shm refuses, both flags named.
    const fit = await runCli(['--source', 'test', '--width', '160', '--height', '120'], {
      CAM_SHM_NAME: shmName,
      CAM_SHM_BYTES: '64k',
      CAM_SHM_SLOTS: '65536',
      CAM_PORT: '0',
    });
    expect(fit.code).toBe(1);
    expect(fit.stderr).toMatch(
      new RegExp(
        `^cam-streamer: --shm-bytes, --shm-slots: shm create ${shmName}_ch0: cannot fit 65536 slots in 65536 bytes .*\\(INVALID_ARGUMENT\\)\n$`,
      ),
    );
    expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
    expect(existsSync(`/dev/shm${shmName}_ch0`)).toBe(false);
  });

  it('ranks flags over CAM_* env over the config file, and SIGTERM shuts down cleanly', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({ source: 'test', fps: 10, width: 320, height: 240, gop: 12, bitrate: 300 }),
    );
    const shmName = `/cam_cli_test_${process.pid}`;
    const app = await startCli(['--gop', '25', '--shm-name', shmName], {
      CAM_CONFIG: config,
      CAM_FPS: '15',
      CAM_GOP: '20',
      CAM_SERVER: 'ws',
    });
    expect(app.started).toMatchObject({
      source: 'test',
      resolution: '320x240',
      fps: 15,
      gop: 25,
      bitrateKbps: 300,
      server: 'ws',
      shm: shmName,
    });
    expect(app.logs.find((l) => l.event === 'server implementation')).toMatchObject({
      server: 'ws',
      why: 'requested',
    });
    expect(existsSync(`/dev/shm${shmName}`)).toBe(true);
    const client = await openClient(`ws://127.0.0.1:${app.port}/`);
    await waitFor('a frame', () => client.messages.length > 0);
    app.proc.kill('SIGTERM');
    expect(await client.closed).toBe(1001);
    expect(await app.exited).toBe(0);
    expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
    const events = app.logs.map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining(['client connected', 'client disconnected', 'streamer stopped']),
    );
    expect(app.logs.find((l) => l.event === 'client disconnected')).toMatchObject({
      address: '127.0.0.1',
      reason: 'shutdown',
    });
  });

  it.each(['uws', 'ws'])(
    'restarts after a SIGKILL on the same port and shm name, and refuses a second copy (%s)',
    async (server) => {
      const shmName = `/cam_cli_restart_${server}_${process.pid}`;
      const args = ['--source', 'test', '--width', '320', '--height', '240', '--server', server];
      const first = await startCli([...args, '--shm-name', shmName]);
      first.proc.kill('SIGKILL');
      await first.exited;
      expect(existsSync(`/dev/shm${shmName}`)).toBe(true); // left behind by the kill
      const again = await startCli([...args, '--shm-name', shmName, '--port', String(first.port)]);
      expect(again.port).toBe(first.port);
      const twin = await runCli([
        ...args,
        '--shm-name',
        'none',
        '--host',
        '127.0.0.1',
        '--port',
        String(first.port),
      ]);
      expect(twin.code).toBe(1);
      expect(twin.stderr).toMatch(
        new RegExp(
          `^cam-streamer: cannot listen on 127\\.0\\.0\\.1:${first.port}: (EADDRINUSE|port in use)[^\\n]*\\n$`,
        ),
      );
      again.proc.kill('SIGTERM');
      expect(await again.exited).toBe(0);
      expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
    },
  );

  it('a SIGTERM while it starts stops it cleanly once started: exit 0, shm unlinked', async () => {
    const shmName = `/cam_cli_early_term_${process.pid}`;
    const proc = spawn(
      'node',
      [CLI, '--log-json', '--host', '127.0.0.1', '--port', '0', '--rtsp-port', 'none'].concat([
        '--source',
        'test',
        '--width',
        '160',
        '--height',
        '120',
        '--shm-name',
        shmName,
      ]),
      { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<[number | null, string | null]>((done) =>
      proc.on('exit', (code, signal) => done([code, signal])),
    );
    // The first log line comes from inside the start (the server implementation chosen),
    // before the start line: the signal lands while the streamer is starting.
    const first = await new Promise<Record<string, unknown>>((resolve) =>
      proc.stdout?.once('data', (d: Buffer) =>
        resolve(JSON.parse(d.toString().split('\n')[0] ?? '')),
      ),
    );
    expect(first.event).not.toBe('streamer started');
    proc.kill('SIGTERM');
    expect(await exited).toEqual([0, null]);
    expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
  });

  it("the bin caps V8's young generation (run through a symlink, as npm links it); plain node does not", async () => {
    // The old generation as the init script and the systemd unit set it; the start log's
    // heapLimitMiB is old + young generation: 64 + 3 MiB with --max-semi-space-size=1, 64 + 48
    // with Node's default. If the bin stops passing the flag, the first expectation fails.
    const link = join(dir, 'cam-streamer');
    symlinkSync(BIN, link);
    const env = { NODE_OPTIONS: '--max-old-space-size=64' };
    const args = ['--source', 'test', '--width', '160', '--height', '120', '--shm-name', 'none'];
    const runs = await Promise.all([startCli(args, env, [link]), startCli(args, env)]);
    try {
      const [bin, plain] = runs.map((app) => Number(app.started.heapLimitMiB));
      expect(bin).toBeGreaterThanOrEqual(64);
      expect(bin).toBeLessThan(64 + 16);
      expect(plain).toBeGreaterThanOrEqual(64 + 16);
    } finally {
      for (const app of runs) app.proc.kill('SIGTERM');
      for (const app of runs) expect(await app.exited).toBe(0);
    }
  });

  it("replays a file at the recording's own rate without --fps, at --fps when given", async () => {
    const units = await makeH264({ rate: 25, frames: 50, gop: 25 });
    const file = join(dir, 'clip25.h264');
    writeFileSync(file, concat(units.map((u) => u.data)));
    const args = ['--source', `file:${file}`, '--shm-name', 'none', '--server', 'ws'];
    const runs = await Promise.all([startCli(args), startCli([...args, '--fps', '30'])]);
    try {
      for (const [app, fps] of [
        [runs[0], 25],
        [runs[1], 30],
      ] as const) {
        expect(app.started).toMatchObject({ source: `file:${file}`, fps });
        const api = JSON.parse((await httpGet(`http://127.0.0.1:${app.port}/api/stream`)).body);
        expect(api).toMatchObject({ backend: 'file', fps });
      }
    } finally {
      for (const app of runs) app.proc.kill('SIGTERM');
    }
    expect(await Promise.all(runs.map((app) => app.exited))).toEqual([0, 0]);
  });

  it('streams a file: a mid-stream client decodes its very first message (uWebSockets.js, SIGINT)', async () => {
    const units = await makeH264({ frames: 60, gop: 30 });
    const file = join(dir, 'clip.h264');
    writeFileSync(file, concat(units.map((u) => u.data)));
    const app = await startCli([
      '--source',
      `file:${file}`,
      '--fps',
      '30',
      '--shm-name',
      'none',
      '--server',
      'uws',
    ]);
    expect(app.started).toMatchObject({
      server: 'uWebSockets.js',
      resolution: '320x240',
      join: 'gop',
      joinReason: 'the file source cannot make an IDR on request',
    });
    const api = JSON.parse((await httpGet(`http://127.0.0.1:${app.port}/api/stream`)).body);
    expect(api).toMatchObject({
      server: 'uWebSockets.js',
      codec: expect.stringMatching(/^avc1\./),
    });
    // Join in the middle of a GOP (30 frames at 30 fps).
    await new Promise((r) => setTimeout(r, 500));
    const client = await openClient(`ws://127.0.0.1:${app.port}/`);
    await waitFor('the first message', () => client.messages.length > 0);
    const first = client.messages[0]?.data as Buffer;
    console.log(
      `[cli uws] open → first message ${(client.messages[0]?.receivedAt ?? 0) - client.openedAt} ms`,
    );
    expect(await ffmpegDecode(first.subarray(0, first.length - 8))).toEqual({
      errors: '',
      frames: 1,
    });
    app.proc.kill('SIGINT');
    expect(await client.closed).toBe(1001);
    expect(await app.exited).toBe(0);
  });
});
