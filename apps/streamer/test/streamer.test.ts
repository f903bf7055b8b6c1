// The whole streamer with the real `test` camera (OpenH264), real shm, and both server
// implementations, checked from real clients on 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { findParameterSets, isKeyframe, KEYFRAME_REQUEST, percentile } from '@cam/protocol';
import { ShmReader, shmLayout } from '@cam/shm';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamerConfig } from '../src/config';
import { createLogger } from '../src/log';
import { type Streamer, startStreamer } from '../src/streamer';
import { type Client, httpGet, openClient, stalledClient, waitFor } from './clients';
import { concat, ffmpegDecode } from './h264';
import { IMPLEMENTATIONS } from './harness';

let shmCount = 0;

async function start(impl: 'uws' | 'ws', config: Partial<StreamerConfig> = {}) {
  const logs: string[] = [];
  const streamer = await startStreamer(
    {
      source: 'test',
      width: 320,
      height: 240,
      fps: 30,
      bitrateKbps: 500,
      gop: 30,
      host: '127.0.0.1',
      port: 0,
      rtspPort: 0,
      shmName: null,
      server: impl,
      ...config,
    },
    { log: createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) }) },
  );
  return {
    streamer,
    logs,
    http: `http://127.0.0.1:${streamer.port}`,
    ws: `ws://127.0.0.1:${streamer.port}`,
  };
}

function au(data: Buffer): Buffer {
  return data.subarray(0, data.length - 8);
}

describe.each(IMPLEMENTATIONS)('streamer on %s', (impl) => {
  let streamer: Streamer | undefined;
  afterEach(async () => {
    await streamer?.stop('test over');
    streamer = undefined;
  });

  it('gives a mid-stream client a fresh IDR as its first message, which decodes alone, framed per the wire format', async () => {
    const s = await start(impl);
    streamer = s.streamer;
    expect(s.streamer.joinPolicy).toBe('keyframe');
    await waitFor('frames past the first IDR', () => s.streamer.metrics.frames.get() >= 10);
    const keyframesBefore = s.streamer.metrics.keyframes.get();
    const client = await openClient(`${s.ws}/`);
    await waitFor('20 frames', () => client.messages.length >= 20);
    const first = client.messages[0] as Client['messages'][number];
    console.log(
      `[${impl}] streamer late joiner (keyframe): open → first message ${first.receivedAt - client.openedAt} ms`,
    );
    expect(findParameterSets(au(first.data))).toMatchObject({
      sps: expect.any(Uint8Array),
      pps: expect.any(Uint8Array),
    });
    expect(isKeyframe(au(first.data))).toBe(true);
    expect(await ffmpegDecode(au(first.data))).toEqual({ errors: '', frames: 1 });
    // Not a cached IDR from before the join: the one asked for (or a natural one after it).
    expect(s.streamer.metrics.keyframeRequests.get()).toBe(1);
    expect(s.streamer.metrics.keyframes.get()).toBeGreaterThan(keyframesBefore);
    expect(s.streamer.metrics.render()).toMatch(/^cam_gop_cache_bytes 0$/m);
    const messages = client.messages.slice();
    expect(await ffmpegDecode(concat(messages.map((m) => au(m.data))))).toEqual({
      errors: '',
      frames: messages.length,
    });
    // The wire format (packages/protocol/README.md): Annex B before an 8-byte little-endian ms trailer close to the wall clock.
    for (const [i, m] of messages.entries()) {
      expect(m.data.readUInt32BE(0) === 1 || m.data.readUIntBE(0, 3) === 1).toBe(true);
      expect(Number(m.data.readBigUInt64LE(m.data.length - 8))).toBe(m.timestampMs);
      expect(Math.abs(m.receivedAt - m.timestampMs)).toBeLessThan(1000);
      if (i > 0) expect(m.timestampMs).toBeGreaterThan((messages[i - 1] as typeof m).timestampMs);
    }
    client.ws.close();
  });

  it('keeps forced keyframes to one per interval while 40 clients join', async () => {
    const s = await start(impl);
    streamer = s.streamer;
    await waitFor('the first frames', () => s.streamer.metrics.frames.get() >= 5);
    const framesBefore = s.streamer.metrics.frames.get();
    const keyframesBefore = s.streamer.metrics.keyframes.get();
    const t0 = performance.now();
    const clients: Client[] = [];
    for (let batch = 0; batch < 8; batch++) {
      clients.push(...(await Promise.all(Array.from({ length: 5 }, () => openClient(s.ws)))));
      await new Promise((r) => setTimeout(r, 60));
    }
    await waitFor('a first message at every client', () =>
      clients.every((c) => c.messages.length > 0),
    );
    const elapsed = performance.now() - t0;
    const requests = s.streamer.metrics.keyframeRequests.get();
    const frames = s.streamer.metrics.frames.get() - framesBefore;
    const keyframes = s.streamer.metrics.keyframes.get() - keyframesBefore;
    const waits = clients.map((c) => (c.messages[0]?.receivedAt ?? 0) - c.openedAt);
    console.log(
      `[${impl}] 40 joiners over ${Math.round(elapsed)} ms: ${requests} keyframe requests, ${keyframes} IDRs in ${frames} frames; open → first message p50 ${percentile(
        [...waits].sort((a, b) => a - b),
        50,
      )} ms, max ${Math.max(...waits)} ms`,
    );
    expect(requests).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 500));
    // GOP 30: natural IDRs, plus at most one per request.
    expect(keyframes).toBeLessThanOrEqual(Math.ceil(frames / 30) + requests + 1);
    for (const c of clients) {
      const first = au(c.messages[0]?.data as Buffer);
      expect(isKeyframe(first)).toBe(true);
      expect(findParameterSets(first).sps).toBeDefined();
    }
    expect(await ffmpegDecode(au(clients[39]?.messages[0]?.data as Buffer))).toEqual({
      errors: '',
      frames: 1,
    });
  });

  it('with --join gop, gives a joiner the cached GOP at once and asks the camera for nothing', async () => {
    const s = await start(impl, { join: 'gop' });
    streamer = s.streamer;
    await waitFor('frames past the first IDR', () => s.streamer.metrics.frames.get() >= 10);
    const client = await openClient(s.ws);
    await waitFor('the first message', () => client.messages.length > 0);
    const first = client.messages[0] as Client['messages'][number];
    console.log(
      `[${impl}] streamer late joiner (gop): open → first message ${first.receivedAt - client.openedAt} ms`,
    );
    expect(await ffmpegDecode(au(first.data))).toEqual({ errors: '', frames: 1 });
    expect(s.streamer.metrics.keyframeRequests.get()).toBe(0);
    client.ws.close();
  });

  it('serves HTTP and accepts WebSocket on any path of the same port', async () => {
    const s = await start(impl, { shmName: `/cam_streamer_test_${process.pid}_${shmCount++}` });
    streamer = s.streamer;
    const client = await openClient(`${s.ws}/any/path?x=1`);
    await waitFor('frames', () => client.messages.length > 0);
    const api = await httpGet(`${s.http}/api/stream`);
    expect(api.type).toBe('application/json');
    expect(JSON.parse(api.body)).toMatchObject({
      source: 'test',
      width: 320,
      height: 240,
      fps: 30,
      bitrateKbps: 500,
      gop: 30,
      codec: expect.stringMatching(/^avc1\.[0-9A-F]{6}$/),
      join: 'keyframe',
      clients: 1,
      server: impl === 'uws' ? 'uWebSockets.js' : 'ws',
      uptimeS: expect.any(Number),
    });
    expect(await httpGet(`${s.http}/healthz`)).toMatchObject({ status: 200, body: 'ok\n' });
    const metrics = await httpGet(`${s.http}/metrics`);
    expect(metrics.body).toMatch(/^cam_clients 1$/m);
    expect(metrics.body).toMatch(/^cam_messages_sent_total [1-9]\d*$/m);
    expect(metrics.body).toMatch(/^cam_fanout_seconds_count [1-9]\d*$/m);
    expect(metrics.body).toMatch(/^cam_shm_frames_total [1-9]\d*$/m);
    const page = await httpGet(`${s.http}/`);
    expect(page).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect((await httpGet(`${s.http}/no/such/file.js`)).status).toBe(404);
    expect(s.logs.some((l) => /client connected address=127\.0\.0\.1 clients=1/.test(l))).toBe(
      true,
    );
    client.ws.close();
    await waitFor('the disconnect log line', () =>
      s.logs.some((l) => l.includes('client disconnected')),
    );
  });

  it('sends every frame to 50 clients at once', async () => {
    const s = await start(impl);
    streamer = s.streamer;
    const reference = await openClient(s.ws);
    const clients = await Promise.all(Array.from({ length: 50 }, () => openClient(s.ws)));
    await waitFor('30 more frames at the last client', () =>
      clients.every((c) => c.messages.length >= 30),
    );
    await s.streamer.stop('test over');
    await Promise.all([reference, ...clients].map((c) => c.closed));
    const all = reference.messages.map((m) => m.timestampMs);
    for (const c of clients) {
      const got = c.messages.map((m) => m.timestampMs);
      const from = all.indexOf(got[0] as number);
      expect(from).toBeGreaterThanOrEqual(0);
      expect(got).toEqual(all.slice(from));
    }
    expect(s.streamer.metrics.drops.get('slow_client')).toBe(0);
    expect(s.streamer.metrics.drops.get('backpressure')).toBe(0);
  });

  it('refuses a wrong token (401), a foreign Origin (403) and clients past the cap (503)', async () => {
    const token = 'open-sesame-42';
    const s = await start(impl, { token, allowOrigin: ['http://192.168.42.1'], maxClients: 2 });
    streamer = s.streamer;
    await expect(openClient(s.ws)).rejects.toMatchObject({ status: 401 });
    await expect(openClient(`${s.ws}/?token=nope-nope-nope`)).rejects.toMatchObject({
      status: 401,
    });
    await expect(
      openClient(`${s.ws}/?token=${token}`, { headers: { origin: 'http://evil.example' } }),
    ).rejects.toMatchObject({ status: 403 });
    const byQuery = await openClient(`${s.ws}/?token=${token}`, {
      headers: { origin: 'http://192.168.42.1' },
    });
    const byProtocol = await openClient(s.ws, { protocols: [token] });
    expect(byProtocol.ws.protocol).toBe(token);
    await waitFor(
      'frames for both',
      () => byQuery.messages.length > 0 && byProtocol.messages.length > 0,
    );
    await expect(openClient(`${s.ws}/?token=${token}`)).rejects.toMatchObject({ status: 503 });
    expect((await httpGet(`${s.http}/api/stream`)).status).toBe(401);
    expect((await httpGet(`${s.http}/api/stream?token=${token}`)).status).toBe(200);
    const metrics = s.streamer.metrics;
    expect([
      metrics.rejected.get('401'),
      metrics.rejected.get('403'),
      metrics.rejected.get('503'),
    ]).toEqual([2, 1, 1]);
    expect(s.logs.filter((l) => l.includes('client refused'))).toHaveLength(4);
  });

  it("lets in its own viewer page's origin, and says at /api/access why others are refused", async () => {
    const token = 'open-sesame-42';
    const s = await start(impl, { token, allowOrigin: ['http://192.168.42.1'] });
    streamer = s.streamer;
    const own = { origin: s.http }; // the page at `/` of this streamer
    const viewer = await openClient(`${s.ws}/?token=${token}`, { headers: own });
    await waitFor('frames for the viewer page', () => viewer.messages.length > 0);
    const ask = async (query: string, headers: Record<string, string>) =>
      JSON.parse((await httpGet(`${s.http}/api/access${query}`, headers)).body);
    expect(await ask(`?token=${token}`, own)).toEqual({ accept: true });
    expect(await ask('', own)).toEqual({
      accept: false,
      status: 401,
      reason: 'missing or wrong token',
    });
    expect(await ask(`?token=${token}`, { origin: 'http://evil.example' })).toEqual({
      accept: false,
      status: 403,
      reason: 'origin http://evil.example is not allowed (--allow-origin)',
    });
    viewer.ws.close();
  });

  it("answers a client's keyframe request with an IDR, coalesced and rate-limited", async () => {
    const s = await start(impl, { gop: 600 }); // no natural IDR for 20 s
    streamer = s.streamer;
    const { metrics } = s.streamer;
    const client = await openClient(s.ws);
    await waitFor('frames after the first IDR', () => client.messages.length >= 5);
    const requestsBefore = metrics.keyframeRequests.get();
    const seen = client.messages.length;
    client.ws.send(KEYFRAME_REQUEST);
    client.ws.send(KEYFRAME_REQUEST);
    await waitFor('an IDR after the request', () =>
      client.messages.slice(seen).some((m) => isKeyframe(au(m.data))),
    );
    expect(metrics.clientKeyframeAsks.get()).toBe(2);
    expect(metrics.keyframeRequests.get() - requestsBefore).toBe(1);
    expect(metrics.clientMessages.get()).toBe(0);
    client.ws.close();
  });

  it('ignores small client messages and cuts off huge ones and garbage', async () => {
    const s = await start(impl);
    streamer = s.streamer;
    const chatty = await openClient(s.ws);
    chatty.ws.send('hello');
    chatty.ws.send(Buffer.alloc(100));
    await waitFor('the ignored messages', () => s.streamer.metrics.clientMessages.get() === 2);
    const before = chatty.messages.length;
    await waitFor('frames after them', () => chatty.messages.length > before + 3);

    const huge = await openClient(s.ws);
    huge.ws.send(Buffer.alloc(64 * 1024));
    expect([1006, 1009]).toContain(await huge.closed);

    const garbage = await stalledClient(s.streamer.port);
    garbage.resume();
    garbage.socket.write(Buffer.from('this is not a websocket frame at all'));
    await garbage.closed;
    await waitFor(
      'both counted as protocol',
      () => s.streamer.metrics.disconnects.get('protocol') === 2,
    );
    expect(chatty.ws.readyState).toBe(chatty.ws.OPEN);
    chatty.ws.close();
  });

  it('creates the ring 0640 owned by --shm-group, by name or gid', async () => {
    // adm, not root: the test runs as root, so its own group would prove nothing.
    const adm = Number(execFileSync('getent', ['group', 'adm']).toString().split(':')[2]);
    for (const group of ['adm', adm]) {
      const shmName = `/cam_streamer_test_${process.pid}_${shmCount++}`;
      const s = await start(impl, { shmName, shmGroup: group });
      streamer = s.streamer;
      const stat = statSync(`/dev/shm${shmName}`);
      expect([stat.mode & 0o777, stat.gid]).toEqual([0o640, adm]);
      await s.streamer.stop('test over');
    }
  });

  it('creates the ring with --shm-bytes and --shm-slots, and reports its size', async () => {
    const shmName = `/cam_streamer_test_${process.pid}_${shmCount++}`;
    const s = await start(impl, { shmName, shmBytes: 4 * 1024 * 1024, shmSlots: 16 });
    streamer = s.streamer;
    expect(statSync(`/dev/shm${shmName}`).size).toBe(4 * 1024 * 1024);
    // What a C reader sees: the header the writer put at the start of the segment.
    const header = readFileSync(`/dev/shm${shmName}`).subarray(0, 64);
    const { header: at } = shmLayout();
    const slots = header.readUInt32LE(at.slot_count as number);
    const slotBytes = header.readUInt32LE(at.slot_bytes as number);
    const totalBytes = Number(header.readBigUInt64LE(at.total_bytes as number));
    expect([slots, totalBytes]).toEqual([16, 4 * 1024 * 1024]);
    expect(slotBytes * 16).toBeLessThanOrEqual(totalBytes);
    const api = JSON.parse((await httpGet(`${s.http}/api/stream`)).body);
    expect(api).toMatchObject({ shmBytes: totalBytes, shmSlots: 16, shmSlotBytes: slotBytes });
    expect(s.logs.find((l) => l.includes('streamer started'))).toContain(
      `shmBytes=4194304 shmSlots=16 shmSlotBytes=${slotBytes}`,
    );
  });

  it('leaves a frame larger than a slot out of the ring, counted, while clients still get it', async () => {
    const shmName = `/cam_streamer_test_${process.pid}_${shmCount++}`;
    // 64 slots in 64 KiB: slots under 1 KB, smaller than the test camera's IDRs.
    const s = await start(impl, { shmName, shmBytes: 64 * 1024, shmSlots: 64 });
    streamer = s.streamer;
    const { shmSlotBytes } = JSON.parse((await httpGet(`${s.http}/api/stream`)).body);
    const client = await openClient(s.ws);
    await waitFor('an IDR and frames after it', () => client.messages.length >= 10);
    await s.streamer.stop('test over');
    const idr = au(client.messages[0]?.data as Buffer);
    expect(isKeyframe(idr)).toBe(true);
    expect(idr.length).toBeGreaterThan(shmSlotBytes);
    const { frames, shmPublished, shmErrors } = s.streamer.metrics;
    expect(shmErrors.get('FRAME_TOO_LARGE')).toBeGreaterThan(0);
    expect(shmPublished.get() + shmErrors.get('FRAME_TOO_LARGE')).toBe(frames.get());
    expect(s.logs.some((l) => /shm publish failed code=FRAME_TOO_LARGE/.test(l))).toBe(true);
  });

  it('logs frames the ring refuses at most once per 10 s, with how many there were', async () => {
    const shmName = `/cam_streamer_test_${process.pid}_${shmCount++}`;
    // 400 slots in 64 KiB: 64-byte slots, smaller than every frame, so every frame is refused.
    const s = await start(impl, { shmName, shmBytes: 64 * 1024, shmSlots: 400 });
    streamer = s.streamer;
    const client = await openClient(s.ws);
    await waitFor('10 frames', () => client.messages.length >= 10);
    await s.streamer.stop('test over');
    const refused = s.streamer.metrics.shmErrors.get('FRAME_TOO_LARGE');
    expect(refused).toBe(s.streamer.metrics.frames.get());
    expect(refused).toBeGreaterThanOrEqual(10);
    const lines = s.logs.filter((l) => l.includes('shm publish failed'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('failures=1');
  });

  it('feeds the shm ring and, on stop, closes clients with 1001 and removes the segment', async () => {
    const shmName = `/cam_streamer_test_${process.pid}_${shmCount++}`;
    const s = await start(impl, { shmName });
    streamer = s.streamer;
    expect(statSync(`/dev/shm${shmName}`).mode & 0o777).toBe(0o600);
    const reader = ShmReader.open(shmName, { start: 'newest-keyframe' });
    const frame = await reader.next();
    expect(frame?.keyframe).toBe(true);
    expect(reader.streamInfo()).toMatchObject({
      codec: expect.stringMatching(/^avc1\./),
      width: 320,
      height: 240,
      fps: 30,
    });
    reader.close();
    const client = await openClient(s.ws);
    const reason = new Promise<string>((done) =>
      client.ws.on('close', (_c, r) => done(r.toString())),
    );
    await s.streamer.stop('test over');
    expect(await client.closed).toBe(1001);
    expect(await reason).toBe('server shutting down');
    expect(existsSync(`/dev/shm${shmName}`)).toBe(false);
    expect(await s.streamer.done).toEqual({ ok: true, reason: 'test over' });
  });
});
