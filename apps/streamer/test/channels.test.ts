// Channels end to end: the real `test` camera giving several streams at once, real shm rings,
// both server implementations, real clients of both generations, ffmpeg decoding each stream and
// ffmpeg's own scaler as the reference for a raw ML channel.
import { spawn } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeChannelMessage, decodeMessage, isKeyframe } from '@cam/protocol';
import { testPicture } from '@cam/sdk-native';
import { ShmReader } from '@cam/shm';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamerConfig } from '../src/config';
import { createLogger } from '../src/log';
import { DROP_REASONS } from '../src/metrics';
import { type FrameEvent, type Streamer, startStreamer } from '../src/streamer';
import { type Client, httpGet, openClient, waitFor } from './clients';
import { concat, ffmpegDecode, makeH264 } from './h264';
import { IMPLEMENTATIONS } from './harness';

let shmCount = 0;
const running: Streamer[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop('test over')));
});

async function start(impl: 'uws' | 'ws', config: Partial<StreamerConfig>) {
  const logs: string[] = [];
  const streamer = await startStreamer(
    {
      source: 'test',
      host: '127.0.0.1',
      port: 0,
      rtspPort: 0,
      shmName: null,
      server: impl,
      bitrateKbps: 600,
      ...config,
    },
    { log: createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) }) },
  );
  running.push(streamer);
  const events: FrameEvent[] = [];
  // Beside each event: its channel's client drops so far (every reason). The event comes before
  // the frame goes to the clients, so the difference between two events' counts is what the
  // frames from the first up to the second (excluded) lost.
  const dropsBefore: number[] = [];
  const drops = (channel: number) =>
    DROP_REASONS.reduce((n, r) => n + streamer.metrics.channelDrops.get(String(channel), r), 0);
  streamer.on('frame', (e) => {
    events.push(e);
    dropsBefore.push(drops(e.channel));
  });
  return {
    streamer,
    logs,
    events,
    dropsBefore,
    port: streamer.port,
    ws: `ws://127.0.0.1:${streamer.port}`,
  };
}

/** The status line and body of a refused WebSocket upgrade, read from a raw socket. */
function refusal(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    setTimeout(() => socket.end(), 1000);
  });
}

/** ffprobe's width and height of an Annex B stream. */
function probeSize(stream: Uint8Array): Promise<{ width: number; height: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffprobe', [
      '-v',
      'error',
      '-f',
      'h264',
      '-i',
      'pipe:0',
      '-show_entries',
      'stream=width,height',
      '-of',
      'json',
    ]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('error', reject);
    p.on('close', () => {
      const s = (JSON.parse(out) as { streams: { width: number; height: number }[] }).streams[0];
      if (!s) reject(new Error(`ffprobe found no stream: ${out}`));
      else resolve(s);
    });
    p.stdin.end(stream);
  });
}

/** ffmpeg scaling an I420 picture with its `area` scaler and converting it to packed RGB. */
function ffmpegScaleToRgb(
  i420: Uint8Array,
  from: { width: number; height: number },
  to: { width: number; height: number },
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('ffmpeg', [
      '-v',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'yuv420p',
      '-s',
      `${from.width}x${from.height}`,
      '-i',
      'pipe:0',
      '-vf',
      `scale=${to.width}:${to.height}:flags=area`,
      '-pix_fmt',
      'rgb24',
      '-f',
      'rawvideo',
      'pipe:1',
    ]);
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exit ${code}`)),
    );
    p.stdin.end(i420);
  });
}

const THREE = '320x240@30,160x120@30,128x96@15';

describe.each(IMPLEMENTATIONS)('channels on %s', (impl) => {
  it('serves three channels from one test capture: each decodes at its own size, at its own rate, to a client of its own', async () => {
    const s = await start(impl, { channels: THREE as never });
    const clients: Client[] = [];
    for (const id of [0, 1, 2]) clients.push(await openClient(`${s.ws}/?channel=${id}`));
    await waitFor('every channel past two keyframes', () =>
      clients.every(
        (c) =>
          c.messages.filter((m) => isKeyframe(decodeChannelMessage(m.data).accessUnit)).length >= 2,
      ),
    );
    for (const c of clients) c.ws.close();
    await Promise.all(clients.map((c) => c.closed));
    // Each client's window, first to last frame it got, is closed by a later frame of its channel:
    // the drop count at that frame's event covers every frame of the window.
    const lastOf = (c: Client) => decodeChannelMessage(c.messages.at(-1)?.data as Uint8Array);
    const lasts = clients.map((c) => lastOf(c).timestampMs);
    await waitFor('a frame after each client window', () =>
      lasts.every((t, id) => s.events.some((e) => e.channel === id && e.timestampMs > t)),
    );
    const sizes = [
      { width: 320, height: 240 },
      { width: 160, height: 120 },
      { width: 128, height: 96 },
    ];
    for (const [id, c] of clients.entries()) {
      const decoded = c.messages.map((m) => decodeChannelMessage(m.data));
      expect(new Set(decoded.map((d) => d.channel))).toEqual(new Set([id]));
      expect(isKeyframe(decoded[0]?.accessUnit ?? new Uint8Array())).toBe(true);
      const stream = concat(decoded.map((d) => d.accessUnit));
      const result = await ffmpegDecode(stream);
      expect(result.errors).toBe('');
      expect(result.frames).toBe(decoded.length);
      expect(await probeSize(stream)).toEqual(sizes[id]);
      // Every frame of its channel from the first it got to the last, in order, none foreign;
      // a frame it did not get is one the server counted as dropped for it (under heavy load a
      // client may fall behind), to the frame: none may go missing uncounted.
      const first = decoded[0]?.timestampMs ?? 0;
      const last = lasts[id] as number;
      const at = (t: number) => s.events.findIndex((e) => e.channel === id && e.timestampMs === t);
      const after = s.events.findIndex((e) => e.channel === id && e.timestampMs > last);
      const expected = s.events
        .filter((e) => e.channel === id && e.timestampMs >= first && e.timestampMs <= last)
        .map((e) => e.timestampMs);
      const got = decoded.map((d) => d.timestampMs);
      expect(got.filter((t) => expected.includes(t))).toEqual(got);
      expect(got).toEqual(expected.filter((t) => got.includes(t)));
      const dropped = (s.dropsBefore[after] as number) - (s.dropsBefore[at(first)] as number);
      expect(expected.length - got.length).toBe(dropped);
    }
    // Channel 1 takes every capture of the 30 fps source, channel 2 every other one: capture n
    // is channel 0's frame n, and for even n also channel 2's frame n / 2, at the same time.
    // The camera is still running: the capture being handed on when this reads the events may
    // have reached channel 0 and not yet the others (each capture goes out channel by channel),
    // so a later channel may lack that last capture, never any other.
    const events = [...s.events];
    const of = (id: number) => events.filter((e) => e.channel === id);
    const ch0 = new Map(of(0).map((e) => [e.timestampMs, e.sequence]));
    const seq0 = of(0).map((e) => e.sequence);
    const seq1 = of(1).map((e) => e.sequence);
    expect(seq0.length - seq1.length).toBeGreaterThanOrEqual(0);
    expect(seq0.length - seq1.length).toBeLessThanOrEqual(1);
    expect(seq1).toEqual(seq0.slice(0, seq1.length));
    expect(of(2).length).toBeGreaterThan(5);
    for (const e of of(2)) expect(ch0.get(e.timestampMs)).toBe(2 * e.sequence);
    const even0 = seq0.filter((n) => n % 2 === 0).map((n) => n / 2);
    const seq2 = of(2).map((e) => e.sequence);
    expect(even0.length - seq2.length).toBeGreaterThanOrEqual(0);
    expect(even0.length - seq2.length).toBeLessThanOrEqual(1);
    expect(seq2).toEqual(even0.slice(0, seq2.length));
  });

  it('gives a v1.0 client channel 0 unframed and a v1.1 client the same bytes after the id byte', async () => {
    const s = await start(impl, { channels: '320x240@30,160x120@30' as never });
    const v10 = await openClient(`${s.ws}/`);
    const v11 = await openClient(`${s.ws}/?channel=0`);
    const other = await openClient(`${s.ws}/?channel=1`);
    await waitFor('frames for all three', () =>
      [v10, v11, other].every((c) => c.messages.length >= 20),
    );
    for (const c of [v10, v11, other]) c.ws.close();
    const byTime = new Map(
      v11.messages.map((m) => [decodeChannelMessage(m.data).timestampMs, m.data]),
    );
    let matched = 0;
    for (const m of v10.messages) {
      const { timestampMs } = decodeMessage(m.data);
      const framed = byTime.get(timestampMs);
      if (!framed) continue;
      expect(framed[0]).toBe(0);
      expect(Buffer.compare(framed.subarray(1), m.data)).toBe(0);
      matched++;
    }
    expect(matched).toBeGreaterThanOrEqual(10);
    expect(other.messages.every((m) => m.data[0] === 1)).toBe(true);
    // The v1.0 message is the whole AU + trailer: an IDR first, decodable as before channels.
    expect(isKeyframe(decodeMessage(v10.messages[0]?.data ?? Buffer.alloc(9)).accessUnit)).toBe(
      true,
    );
  });

  it('refuses an unknown, inactive or raw channel with HTTP 400 and a one-line reason', async () => {
    const s = await start(impl, { channels: '320x240@30,160x160@15:rgb' as never });
    for (const [path, reason] of [
      [
        '/?channel=7',
        'unknown channel "7": this streamer has channels 0..1 (GET /api/channels lists them)',
      ],
      [
        '/?channel=x',
        'unknown channel "x": this streamer has channels 0..1 (GET /api/channels lists them)',
      ],
      [
        '/?channel=1',
        'channel 1 carries raw rgb pixels, not H.264: read them from the shared-memory ring (--shm-name none: no ring)',
      ],
    ]) {
      const r = await refusal(s.port, path as string);
      expect(r.status).toBe(400);
      expect(r.body).toBe(`${reason}\n`);
    }
    expect(s.streamer.metrics.rejected.get('400')).toBe(3);
  });

  it('answers GET /api/channels in the seed v1.1 shape and /api/stream and /metrics per channel', async () => {
    const s = await start(impl, {
      channels: '320x240@30,160x120@30:bitrate=300,160x160@15:rgb' as never,
    });
    const c = await openClient(`${s.ws}/?channel=1`);
    await waitFor('a frame', () => c.messages.length > 0);
    const list = JSON.parse((await httpGet(`http://127.0.0.1:${s.port}/api/channels`)).body);
    expect(list.default_channel).toBe(0);
    expect(list.channels).toHaveLength(3);
    expect(list.channels[1]).toMatchObject({
      id: 1,
      resolution: '160x120',
      fps: 30,
      bitrate: '300 kbps',
      codec: 'H.264',
      websocket_url: `ws://127.0.0.1:${s.port}/?channel=1`,
      shm_path: null,
      active: true,
      clients: 1,
    });
    for (const key of ['name', 'use_case']) expect(typeof list.channels[0][key]).toBe('string');
    expect(list.channels[2]).toMatchObject({
      id: 2,
      resolution: '160x160',
      codec: 'RGB24',
      websocket_url: null,
      pixel_format: 'rgb24',
      active: true,
    });
    const stream = JSON.parse((await httpGet(`http://127.0.0.1:${s.port}/api/stream`)).body);
    expect(
      stream.channels.map((ch: { id: number; clients: number }) => [ch.id, ch.clients]),
    ).toEqual([
      [0, 0],
      [1, 1],
      [2, 0],
    ]);
    const metrics = (await httpGet(`http://127.0.0.1:${s.port}/metrics`)).body;
    expect(metrics).toMatch(/^cam_channel_clients\{channel="1"\} 1$/m);
    expect(metrics).toMatch(/^cam_channel_frames_total\{channel="2"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^cam_channel_messages_sent_total\{channel="1"\} [1-9]\d*$/m);
    c.ws.close();
  });
});

describe('channel rings', () => {
  it('/video_stream and /video_stream_ch0 are one segment: the same frames, written once', async () => {
    const shmName = `/cam_channels_${process.pid}_${shmCount++}`;
    const s = await start('ws', { channels: '320x240@30,160x120@30' as never, shmName });
    expect(statSync(`/dev/shm${shmName}`).ino).toBe(statSync(`/dev/shm${shmName}_ch0`).ino);
    const v10 = ShmReader.open(shmName, { start: 'oldest' });
    const ch0 = ShmReader.open(`${shmName}_ch0`, { start: 'oldest' });
    const ch1 = ShmReader.open(`${shmName}_ch1`, { start: 'oldest' });
    for (let i = 0; i < 10; i++) {
      const [a, b] = [await v10.next(), await ch0.next()];
      expect(a?.seq).toBe(b?.seq);
      expect(Buffer.compare(Buffer.from(a?.data ?? []), Buffer.from(b?.data ?? []))).toBe(0);
    }
    expect((await ch1.next())?.data.length).toBeGreaterThan(0);
    expect(ch1.streamInfo()).toMatchObject({ width: 160, height: 120, pixelFormat: 'encoded' });
    for (const r of [v10, ch0, ch1]) r.close();
    await s.streamer.stop('test over');
    for (const name of [shmName, `${shmName}_ch0`, `${shmName}_ch1`]) {
      expect(() => statSync(`/dev/shm${name}`)).toThrow();
    }
  });

  it("writes a raw RGB picture that equals the source picture scaled by ffmpeg's area scaler, within 3 levels on average", async () => {
    const shmName = `/cam_channels_${process.pid}_${shmCount++}`;
    // The raw channel runs at the capture's rate, so its sequence is the capture's.
    const s = await start('ws', { channels: '320x240@15,160x160@15:rgb' as never, shmName });
    const reader = ShmReader.open(`${shmName}_ch1`, { start: 'next' });
    const frame = await reader.next();
    if (!frame) throw new Error('no raw frame');
    const picture = reader.picture(frame);
    const pixels = Buffer.from(picture.pixels);
    expect(frame.isValid()).toBe(true);
    expect(picture).toMatchObject({ pixelFormat: 'rgb24', width: 160, height: 160, stride: 480 });
    await waitFor('its frame event', () =>
      s.events.some((e) => e.channel === 1 && e.timestampMs === frame.timestampMs),
    );
    const event = s.events.find((e) => e.channel === 1 && e.timestampMs === frame.timestampMs);
    const source = testPicture(320, 240, event?.sequence ?? -1, frame.timestampMs);
    const reference = await ffmpegScaleToRgb(
      source,
      { width: 320, height: 240 },
      { width: 160, height: 160 },
    );
    expect(reference.length).toBe(pixels.length);
    let sum = 0;
    let worst = 0;
    for (let i = 0; i < pixels.length; i++) {
      const d = Math.abs((pixels[i] as number) - (reference[i] as number));
      sum += d;
      worst = Math.max(worst, d);
    }
    const mean = sum / pixels.length;
    console.info(`raw rgb vs ffmpeg area: mean |diff| ${mean.toFixed(3)}, max ${worst}`);
    // A nearest-pixel scaler or a wrong colour matrix is far off (tens of levels on average).
    expect(mean).toBeLessThan(3);
    expect(worst).toBeLessThan(64);
    reader.close();
  });
});

describe('a file: source with channels', () => {
  it('replays as channel 0 only, says so, and refuses the others', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cam-channels-')), 'clip.h264');
    writeFileSync(file, concat((await makeH264({ frames: 30, gop: 15 })).map((u) => u.data)));
    const s = await start('ws', {
      source: `file:${file}`,
      channels: '320x240@30,160x120@30' as never,
    });
    expect(
      s.logs.some((l) =>
        /channels inactive channels=1 why="a file: source replays its one recording as channel 0 only"/.test(
          l,
        ),
      ),
    ).toBe(true);
    const list = JSON.parse((await httpGet(`http://127.0.0.1:${s.port}/api/channels`)).body);
    expect(list.channels.map((c: { active: boolean }) => c.active)).toEqual([true, false]);
    expect(await refusal(s.port, '/?channel=1')).toEqual({
      status: 400,
      body: 'channel 1 is inactive: the file source gives channel 0 only\n',
    });
    const v11 = await openClient(`${s.ws}/?channel=0`);
    await waitFor('a frame of channel 0', () => v11.messages.length > 0);
    expect(v11.messages[0]?.data[0]).toBe(0);
    v11.ws.close();
  });
});
