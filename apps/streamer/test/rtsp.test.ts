// The RTSP server (contract 5) and --rtsp-push, checked with real clients: ffmpeg and ffprobe
// (Debian's), GStreamer's rtspsrc, an ffmpeg listener as the media server a push goes to, and
// a WebSocket client beside them. The camera is the real `test` source (OpenH264) or a file
// replay; everything on 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamerConfig } from '../src/config';
import { createLogger } from '../src/log';
import { type Headers, type Incoming, MessageReader } from '../src/rtsp/message';
import { type FrameEvent, type Streamer, startStreamer } from '../src/streamer';
import { openClient, waitFor } from './clients';
import { concat, ffmpegDecode, makeH264 } from './h264';
import { ffmpegPull, ffprobePts, freePort, gstPull, run } from './rtsp-clients';

interface Started {
  streamer: Streamer;
  logs: string[];
  port: number;
  url(path?: string): string;
}

const running: Streamer[] = [];
const cleanups: (() => void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(running.splice(0).map((s) => s.stop('test over')));
});

async function start(config: Partial<StreamerConfig> = {}): Promise<Started> {
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    try {
      const streamer = await startStreamer(
        {
          source: 'test',
          // --channels gives each channel's size and rate itself.
          ...(config.channels === undefined ? { width: 320, height: 240, fps: 30 } : {}),
          bitrateKbps: 500,
          gop: 30,
          host: '127.0.0.1',
          port: 0,
          rtspPort: port,
          shmName: null,
          ...config,
        },
        { log },
      );
      running.push(streamer);
      await waitFor('the first keyframe', () => streamer.metrics.keyframes.get() > 0);
      return {
        streamer,
        logs,
        port,
        url: (path = '/ch0') => `rtsp://127.0.0.1:${port}${path}`,
      };
    } catch (err) {
      // Another process took the probed port in between: probe again.
      if ((err as { code?: string }).code !== 'EADDRINUSE' || attempt >= 3) throw err;
    }
  }
}

/** A metric's value from /metrics text, e.g. 'cam_rtsp_plays_ended_total{reason="stalled"}'. */
function metric(streamer: Streamer, name: string): number {
  const line = streamer.metrics
    .render()
    .split('\n')
    .find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

/** A raw RTSP connection for what no real client sends (hostile input, a reader that stalls). */
class Raw {
  private readonly reader = new MessageReader();
  private readonly inbox: Incoming[] = [];
  readonly closed: Promise<void>;
  private cseq = 0;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.inbox.push(...this.reader.push(chunk)));
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
  }

  static open(port: number): Promise<Raw> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new Raw(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a request (headers as given; a CSeq is added unless `cseq` is false). */
  request(method: string, uri: string, headers: string[] = [], cseq = true): void {
    const lines = [
      `${method} ${uri} RTSP/1.0`,
      ...(cseq ? [`CSeq: ${++this.cseq}`] : []),
      ...headers,
    ];
    this.socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  }

  /** The next response (interleaved data before it is dropped). */
  async response(): Promise<{ status: number; headers: Headers; body: string }> {
    for (;;) {
      await waitFor('an RTSP response', () => this.inbox.length > 0, 1000);
      const m = this.inbox.shift() as Incoming;
      if (m.kind === 'response')
        return { status: m.status, headers: m.headers, body: m.body.toString() };
    }
  }
}

/** test/stalled-rtsp-client.py: plays over TCP, then never reads; prints a line once playing. */
function stalledRtspClient(url: string) {
  const script = join(import.meta.dirname, 'stalled-rtsp-client.py');
  return spawn('python3', [script, url], { stdio: ['ignore', 'pipe', 'inherit'] });
}

describe('RTSP server with real clients', () => {
  it('ffmpeg pulls /ch0 and /live over TCP and UDP and decodes 60 frames without a word at -v error', async () => {
    const s = await start();
    const runs = await Promise.all([
      ffmpegPull(s.url('/ch0'), 'tcp'),
      ffmpegPull(s.url('/live'), 'tcp'),
      ffmpegPull(s.url('/ch0'), 'udp'),
      ffmpegPull(s.url('/live'), 'udp'),
    ]);
    for (const r of runs)
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(metric(s.streamer, 'cam_rtsp_plays_ended_total{reason="client"}')).toBe(4);
    expect(metric(s.streamer, 'cam_rtsp_connections_total')).toBe(4);
  });

  it('GStreamer (rtspsrc ! rtph264depay ! h264parse ! avdec_h264) pulls over TCP and UDP', async () => {
    const s = await start();
    const runs = await Promise.all([gstPull(s.url('/ch0'), 'tcp'), gstPull(s.url('/live'), 'udp')]);
    for (const r of runs)
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('serves each H.264 channel at /chN (channel 0 also at /live); a raw channel is no RTSP path', async () => {
    const s = await start({ channels: '320x240@30,160x120@15,160x160@15:rgb' as never });
    const probe = (path: string) =>
      run('ffprobe', [
        ...['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries', 'stream=width,height'],
        ...['-of', 'csv=p=0', s.url(path)],
      ]);
    const [ch0, live, ch1, ch2] = await Promise.all([
      probe('/ch0'),
      probe('/live'),
      probe('/ch1'),
      probe('/ch2'),
    ]);
    expect([ch0.stdout.trim(), live.stdout.trim(), ch1.stdout.trim()]).toEqual([
      '320,240',
      '320,240',
      '160,120',
    ]);
    expect(ch2.code).not.toBe(0);
    expect(ch2.stderr).toMatch(/404 Not Found/);
    expect(
      s.logs.some((l) => l.includes('rtsp="127.0.0.1:') && l.includes('(/ch0, /ch1, /live)')),
    ).toBe(true);
    const ff = await ffmpegPull(s.url('/ch1'), 'udp', 30);
    expect({ code: ff.code, stderr: ff.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('ffprobe reads the SDP: H.264 at the camera size and profile', async () => {
    const s = await start();
    const r = await run('ffprobe', [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-show_entries'],
      ...['stream=codec_name,width,height,profile', '-of', 'json', s.url('/live')],
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).streams[0]).toMatchObject({
      codec_name: 'h264',
      width: 320,
      height: 240,
      profile: 'Constrained Baseline',
    });
  });

  it('starts a late joiner at a fresh IDR it asked the camera for', async () => {
    const s = await start();
    await waitFor('30 frames', () => s.streamer.metrics.frames.get() >= 30);
    const requested = metric(s.streamer, 'cam_rtsp_keyframe_requests_total');
    // No probing: the SDP's sprop-parameter-sets tell ffprobe all it needs.
    const first = await run('ffprobe', [
      ...['-v', 'error', '-rtsp_transport', 'tcp', '-analyzeduration', '0', '-probesize', '32'],
      ...['-select_streams', 'v', '-show_entries'],
      ...['frame=key_frame,pict_type', '-of', 'csv=p=0', '-read_intervals', '%+#1', s.url()],
    ]);
    console.log(`rtsp late joiner: ffprobe start → first decoded frame ${first.ms} ms (whole run)`);
    expect(first.stderr).toBe('');
    expect(first.stdout.trim().split('\n')[0]).toBe('1,I');
    expect(metric(s.streamer, 'cam_rtsp_keyframe_requests_total')).toBe(requested + 1);
  });

  it('asks for the token as Digest auth: the right one through the URL plays, a wrong one gets 401', async () => {
    const s = await start({ token: 'open-sesame-42' });
    const good = s.url().replace('rtsp://', 'rtsp://viewer:open-sesame-42@');
    const bad = s.url().replace('rtsp://', 'rtsp://viewer:wrong-token-1@');
    const [ffOk, ffBad, gstOk, gstBad, none] = await Promise.all([
      ffmpegPull(good, 'tcp', 30),
      ffmpegPull(bad, 'tcp', 30),
      gstPull(good, 'tcp', 30),
      gstPull(bad, 'tcp', 30),
      ffmpegPull(s.url(), 'tcp', 30),
    ]);
    expect({ code: ffOk.code, stderr: ffOk.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: gstOk.code, stderr: gstOk.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ffBad.code).not.toBe(0);
    expect(ffBad.stderr).toMatch(/401 Unauthorized/);
    expect(gstBad.code).not.toBe(0);
    expect(gstBad.stderr).toMatch(/Unauthorized \(401\)/);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/401/);
    expect(metric(s.streamer, 'cam_rtsp_plays_ended_total{reason="client"}')).toBe(2);
    // Digest only: no Basic challenge without --rtsp-basic-auth.
    const raw = await Raw.open(s.port);
    raw.request('DESCRIBE', s.url());
    const challenge = await raw.response();
    expect(challenge.status).toBe(401);
    expect(challenge.headers.all('www-authenticate')).toEqual([
      expect.stringMatching(/^Digest realm="camstream", nonce="[0-9a-f.]+", algorithm=MD5$/),
    ]);
    raw.request('DESCRIBE', s.url(), [
      `Authorization: Basic ${Buffer.from('u:open-sesame-42').toString('base64')}`,
    ]);
    expect((await raw.response()).status).toBe(401);
    raw.socket.destroy();
  });

  it('takes the token as Basic auth too with --rtsp-basic-auth', async () => {
    const s = await start({ token: 'open-sesame-42', rtspBasicAuth: true });
    const raw = await Raw.open(s.port);
    raw.request('DESCRIBE', s.url());
    const challenge = await raw.response();
    expect(challenge.headers.all('www-authenticate')).toEqual([
      expect.stringMatching(/^Digest /),
      'Basic realm="camstream"',
    ]);
    raw.request('DESCRIBE', s.url(), [
      `Authorization: Basic ${Buffer.from('any:open-sesame-42').toString('base64')}`,
    ]);
    const described = await raw.response();
    expect(described.status).toBe(200);
    expect(described.body).toMatch(
      /^a=fmtp:96 packetization-mode=1;profile-level-id=42C0[0-9A-F]{2};sprop-parameter-sets=[A-Za-z0-9+/=]+,[A-Za-z0-9+/=]+\r$/m,
    );
    raw.socket.destroy();
  });

  it('bounds and cuts a TCP client that never reads while ffmpeg and GStreamer go on', async () => {
    // A near-lossless 720p replay (MBs per second) fills the kernel's send buffer (up to 4 MB)
    // in a moment; the real clients only depacketize (no decoding, cheap on a busy machine).
    const units = await makeH264({ size: '1280x720', frames: 30, gop: 30, qp: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'cam-rtsp-stall-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const clip = join(dir, 'clip.h264');
    writeFileSync(clip, concat(units.map((u) => u.data)));
    const s = await start({
      source: `file:${clip}`,
      width: 1280,
      height: 720,
      clientBufferBytes: 65_536,
      gopCacheBytes: 0,
      // Longer than a real client takes from its last wanted frame to its TEARDOWN: at 500 ms
      // GStreamer, which stops reading once fakesink has its buffers, was itself cut as stalled
      // now and then before it sent PAUSE (exit 1, "Received end-of-file"), on a quiet machine too.
      stallTimeoutMs: 2000,
    });
    const stalled = stalledRtspClient(s.url());
    cleanups.push(() => stalled.kill('SIGKILL'));
    await new Promise<void>((resolve) => stalled.stdout.once('data', () => resolve()));
    // Then the server's queue passes its bound, the client skips frames, and 2 s later it is
    // cut, while the real clients play on.
    const cut = waitFor(
      'the stalled client cut',
      () => metric(s.streamer, 'cam_rtsp_plays_ended_total{reason="stalled"}') === 1,
      8000,
    );
    const [ff, gst] = await Promise.all([
      ffmpegPull(s.url(), 'tcp', 90, 'copy'),
      gstPull(s.url(), 'tcp', 90, 'parse'),
      cut,
    ]);
    expect({ code: ff.code, stderr: ff.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: gst.code, stderr: gst.stderr }).toEqual({ code: 0, stderr: '' });
    expect(metric(s.streamer, 'cam_rtsp_connection_ends_total{reason="stalled"}')).toBe(1);
    expect(metric(s.streamer, 'cam_rtsp_client_drops_total{reason="slow_client"}')).toBeGreaterThan(
      0,
    );
    expect(s.logs.some((l) => /client stalled, disconnecting/.test(l))).toBe(true);
  }, 120_000);

  it('gives WebSocket and RTSP clients (TCP and UDP) at once every frame', async () => {
    const s = await start();
    const frames: FrameEvent[] = [];
    s.streamer.on('frame', (f) => {
      if (f.channel === 0) frames.push(f);
    });
    const ws = await openClient(`ws://127.0.0.1:${s.streamer.port}/`);
    const [tcp, udp] = await Promise.all([
      ffprobePts(s.url('/ch0'), 'tcp', 90),
      ffprobePts(s.url('/live'), 'udp', 90),
    ]);
    ws.ws.close();
    for (const { ran, pts } of [tcp, udp]) {
      expect(ran.stderr).toBe('');
      expect(ran.code).toBe(0);
      const times = [...new Set(pts)];
      expect(times.length).toBeGreaterThanOrEqual(60);
      // Capture times are whole ms and RTP times are 90 per ms from the first frame received:
      // find that frame among the camera's, then every frame after it must have arrived.
      const rel = times.map((t) => t / 90);
      const span = rel.at(-1) as number;
      const match = frames.findIndex((f) =>
        rel.every((r) => frames.some((g) => g.timestampMs - f.timestampMs === r)),
      );
      expect(match).toBeGreaterThanOrEqual(0);
      const first = (frames[match] as FrameEvent).timestampMs;
      const sent = frames.filter((f) => f.timestampMs >= first && f.timestampMs <= first + span);
      expect(times.length).toBe(sent.length);
    }
    const got = ws.messages.map((m) => m.timestampMs);
    const between = frames.filter(
      (f) => f.timestampMs >= (got[0] as number) && f.timestampMs <= (got.at(-1) as number),
    );
    expect(got).toEqual(between.map((f) => f.timestampMs));
  });

  it('ends a session that sends nothing for the session timeout, and keeps one that keeps alive', async () => {
    const s = await start({ idleTimeoutS: 8 });
    const quiet = await Raw.open(s.port);
    quiet.request('OPTIONS', '*');
    expect((await quiet.response()).status).toBe(200);
    // ffmpeg keeps its TCP session alive with GET_PARAMETER at half the timeout (it sends no
    // RTCP over TCP); GStreamer sends RTCP receiver reports.
    const [ff, gst] = await Promise.all([
      ffmpegPull(s.url(), 'tcp', 330),
      gstPull(s.url(), 'tcp', 330),
      quiet.closed,
    ]);
    expect({ code: ff.code, stderr: ff.stderr }).toEqual({ code: 0, stderr: '' });
    expect({ code: gst.code, stderr: gst.stderr }).toEqual({ code: 0, stderr: '' });
    expect(metric(s.streamer, 'cam_rtsp_connection_ends_total{reason="timeout"}')).toBe(1);
    expect(metric(s.streamer, 'cam_rtsp_requests_total{method="GET_PARAMETER"}')).toBeGreaterThan(
      0,
    );
    expect(metric(s.streamer, 'cam_rtsp_rtcp_reports_total')).toBeGreaterThan(0);
  }, 60_000);
});

describe('RTSP server against hostile input', () => {
  it('answers each bad request with its status, or closes and counts it, and serves on', async () => {
    const s = await start({ idleTimeoutS: 60 });
    const raw = await Raw.open(s.port);
    const cases: [() => void, number][] = [
      [() => raw.request('OPTIONS', '*', [], false), 400], // no CSeq
      [() => raw.request('OPTIONS', '*', ['CSeq: twelve'], false), 400],
      [() => raw.request('FROB', s.url()), 501],
      [() => raw.request('RECORD', s.url()), 405],
      [() => raw.request('DESCRIBE', 'rtsp://127.0.0.1/nowhere'), 404],
      [() => raw.request('DESCRIBE', s.url('/ch7')), 404],
      [() => raw.request('SETUP', s.url(), ['Transport: RTP/AVP;multicast;port=5000-5001']), 461],
      [() => raw.request('SETUP', s.url(), ['Transport: RTP/AVP/TCP;interleaved=300-301']), 461],
      [() => raw.request('SETUP', s.url(), ['Transport: RTP/AVP/TCP;mode=record']), 461],
      [() => raw.request('PLAY', s.url()), 454],
      [() => raw.request('PLAY', s.url(), ['Session: nope']), 454],
      [() => raw.request('GET_PARAMETER', s.url()), 200],
      [() => raw.request('SET_PARAMETER', s.url(), ['Content-Length: 5', '', 'a: b']), 451],
    ];
    for (const [send, status] of cases) {
      send();
      expect((await raw.response()).status).toBe(status);
    }
    // Interleaved data from a client that set nothing up: read, counted, ignored.
    raw.socket.write(Buffer.from([0x24, 0, 0, 3, 1, 2, 3]));
    raw.request('OPTIONS', '*');
    expect((await raw.response()).status).toBe(200);
    expect(metric(s.streamer, 'cam_rtsp_client_packets_ignored_total')).toBe(1);

    // What breaks the framing closes the connection, after a status, counted as protocol.
    const fatal: [Buffer | string, number][] = [
      [`OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nX-Big: ${'a'.repeat(9000)}\r\n\r\n`, 400],
      [
        `OPTIONS * RTSP/1.0\r\n${Array.from({ length: 70 }, (_, i) => `X-${i}: 1`).join('\r\n')}\r\n\r\n`,
        400,
      ],
      ['OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: 99999999\r\n\r\n', 413],
      ['OPTIONS * RTSP/1.0\r\nCSeq: 1\r\nContent-Length: -1\r\n\r\n', 400],
      ['OPTIONS * RTSP/2.0\r\nCSeq: 1\r\n\r\n', 505],
      ['GET / HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['OPTIONS * RTSP/1.0\r\nno colon here\r\n\r\n', 400],
      [Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]), 400],
    ];
    for (const [bytes, status] of fatal) {
      const bad = await Raw.open(s.port);
      bad.socket.write(bytes);
      expect((await bad.response()).status).toBe(status);
      await bad.closed;
    }
    expect(metric(s.streamer, 'cam_rtsp_connection_ends_total{reason="protocol"}')).toBe(
      fatal.length,
    );
    // A response where a request belongs, and a head that never ends: closed too.
    const confused = await Raw.open(s.port);
    confused.socket.write('RTSP/1.0 200 OK\r\nCSeq: 1\r\n\r\n');
    await confused.closed;
    const endless = await Raw.open(s.port);
    endless.socket.write(`OPTIONS * RTSP/1.0\r\n${'X-A: b\r\n'.repeat(1200)}`);
    await endless.closed;
    // Random bytes, many times: never a crash, and the server still serves real clients.
    for (let i = 0; i < 20; i++) {
      const fuzz = await Raw.open(s.port);
      fuzz.socket.end(
        Buffer.from(Array.from({ length: 2000 }, () => Math.floor(Math.random() * 256))),
      );
      await fuzz.closed;
    }
    raw.socket.destroy();
    const ff = await ffmpegPull(s.url(), 'tcp', 30);
    expect({ code: ff.code, stderr: ff.stderr }).toEqual({ code: 0, stderr: '' });
  });

  it('counts RTSP clients in the connection cap shared with WebSocket clients', async () => {
    const s = await start({ maxClients: 2 });
    const ws = await openClient(`ws://127.0.0.1:${s.streamer.port}/`);
    const first = await Raw.open(s.port);
    first.request('OPTIONS', '*');
    expect((await first.response()).status).toBe(200);
    const second = await Raw.open(s.port);
    second.request('OPTIONS', '*');
    expect((await second.response()).status).toBe(503);
    await second.closed;
    await expect(openClient(`ws://127.0.0.1:${s.streamer.port}/`)).rejects.toMatchObject({
      status: 503,
    });
    expect(metric(s.streamer, 'cam_rtsp_connection_ends_total{reason="limit"}')).toBe(1);
    first.socket.destroy();
    ws.ws.close();
  });
});

describe('--rtsp-push', () => {
  /** `ffmpeg -rtsp_flags listen` as the media server: copies `frames` frames to a file. */
  function listener(port: number, out: string, frames: number) {
    const ff = spawn(
      'ffmpeg',
      [
        ...['-nostdin', '-v', 'error', '-rtsp_flags', 'listen', '-timeout', '60'],
        ...['-i', `rtsp://127.0.0.1:${port}/x`, '-c', 'copy', '-frames:v', String(frames)],
        ...['-f', 'h264', '-y', out],
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    ff.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    cleanups.push(() => ff.kill('SIGKILL'));
    return new Promise<{ code: number | null; stderr: string }>((resolve) =>
      ff.on('close', (code) => resolve({ code, stderr })),
    );
  }

  it('publishes to ffmpeg in listen mode, which decodes it, and reconnects after it restarts', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'cam-rtsp-push-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const first = listener(port, join(dir, 'a.h264'), 60);
    // Give the listener a moment to bind; the push's own retries would cover it anyway.
    await new Promise((r) => setTimeout(r, 300));
    const s = await start({ rtspPort: 0, rtspPush: `rtsp://127.0.0.1:${port}/x` });
    expect(s.streamer.rtspPort).toBeNull();
    expect((await first).stderr).toBe('');
    // ffmpeg took its 60 frames and went away: the push retries until the next one listens.
    const second = listener(port, join(dir, 'b.h264'), 30);
    expect((await second).stderr).toBe('');
    for (const [file, frames] of [
      ['a.h264', 60],
      ['b.h264', 30],
    ] as const) {
      expect(await ffmpegDecode(readFileSync(join(dir, file)))).toEqual({ errors: '', frames });
    }
    expect(metric(s.streamer, 'cam_rtsp_push_connects_total')).toBe(2);
    expect(metric(s.streamer, 'cam_rtsp_push_failures_total')).toBeGreaterThanOrEqual(1);
    expect(s.logs.some((l) => /rtsp push ended, retrying/.test(l))).toBe(true);
  });
});

it('the CLI serves RTSP on --rtsp-port and says so in its start line', async () => {
  const port = await freePort();
  const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
  const help = execFileSync('node', [cli, '--help']).toString();
  for (const flag of ['--rtsp-port', '--rtsp-mtu', '--rtsp-basic-auth', '--rtsp-push']) {
    expect(help).toContain(flag);
  }
  const proc = spawn(
    'node',
    [
      cli,
      ...['--source', 'test', '--width', '160', '--height', '120', '--host', '127.0.0.1'],
      ...['--port', '0', '--shm-name', 'none', '--rtsp-port', String(port), '--log-json'],
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => proc.kill('SIGKILL'));
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor('the start line', () => /"streamer started"/.test(out), 1500);
  expect(out).toContain(`"rtsp":"127.0.0.1:${port} (/ch0, /live)"`);
  const ff = await ffmpegPull(`rtsp://127.0.0.1:${port}/live`, 'tcp', 15);
  expect({ code: ff.code, stderr: ff.stderr }).toEqual({ code: 0, stderr: '' });
});
