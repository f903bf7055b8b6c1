import { Socket } from 'node:net';
import { findParameterSets, percentile } from '@cam/protocol';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openClient, stalledClient, waitFor } from '../test/clients';
import { type AccessUnit, concat, ffmpegDecode, makeH264 } from '../test/h264';
import { type Harness, IMPLEMENTATIONS, startHarness, tick } from '../test/harness';

let small: AccessUnit[];
let big: AccessUnit[];

beforeAll(async () => {
  // 320x240, IDR every 30 frames; and big frames (near-lossless 640x480) to fill socket buffers.
  [small, big] = await Promise.all([
    makeH264({ frames: 90, gop: 30 }),
    makeH264({ size: '640x480', frames: 60, gop: 30, qp: 4 }),
  ]);
});

function au(message: Buffer | Uint8Array): Uint8Array {
  return message.subarray(0, message.length - 8);
}

// 'ws-stream': the ws server where @cam/send's addon does not load (every frame through Node's
// stream), so both of its write paths keep every policy.
describe.each([...IMPLEMENTATIONS, 'ws-stream'] as const)('fanout on %s', (impl) => {
  let h: Harness;
  afterEach(async () => {
    await h?.close();
  });

  it('gives a late joiner the cached GOP at once, starting with SPS+PPS+IDR, and it decodes', async () => {
    h = await startHarness(impl);
    for (const unit of small.slice(0, 45)) h.send(unit);
    const client = await openClient(h.url);
    await waitFor('the cached GOP', () => client.messages.length === 15);
    const ttff = (client.messages[0]?.receivedAt ?? 0) - client.openedAt;
    console.log(`[${impl}] late joiner: open → first message ${ttff} ms, GOP of 15 cached frames`);
    const first = au(client.messages[0]?.data as Buffer);
    const sets = findParameterSets(first);
    expect(sets.sps).toBeDefined();
    expect(sets.pps).toBeDefined();
    expect(Buffer.compare(first, small[30]?.data as Uint8Array)).toBe(0);
    expect(await ffmpegDecode(first)).toEqual({ errors: '', frames: 1 });
    for (const unit of small.slice(45)) h.send(unit);
    await waitFor('the rest of the stream', () => client.messages.length === 60);
    const all = concat(client.messages.map((m) => au(m.data)));
    expect(await ffmpegDecode(all)).toEqual({ errors: '', frames: 60 });
    expect(h.keyframeRequests).toBe(0);
  });

  it('with join=keyframe, starts joiners at the next IDR, one request for all waiting, nothing cached', async () => {
    h = await startHarness(impl, { join: 'keyframe', keyframeIntervalMs: 60_000 });
    for (const unit of small.slice(0, 45)) h.send(unit);
    expect(h.keyframeRequests).toBe(0);
    expect(h.fanout.cachedBytes).toBe(0);
    const clients = await Promise.all(Array.from({ length: 5 }, () => openClient(h.url)));
    await waitFor('5 joiners', () => h.fanout.size === 5);
    expect(h.keyframeRequests).toBe(1);
    for (const unit of small.slice(45, 75)) h.send(unit);
    await waitFor('15 frames from the IDR on', () =>
      clients.every((c) => c.messages.length === 15),
    );
    for (const c of clients) {
      expect(Buffer.compare(au(c.messages[0]?.data as Buffer), small[60]?.data as Uint8Array)).toBe(
        0,
      );
    }
    expect(await ffmpegDecode(au(clients[0]?.messages[0]?.data as Buffer))).toEqual({
      errors: '',
      frames: 1,
    });
    expect(h.metrics.drops.get('waiting_for_keyframe')).toBe(5 * 15);
    // Inside the interval a joiner asks for nothing more: it takes the next IDR that comes.
    const late = await openClient(h.url);
    await waitFor('the late joiner', () => h.fanout.size === 6);
    for (const unit of small.slice(0, 10)) h.send(unit);
    await waitFor('its frames', () => late.messages.length === 10);
    expect(Buffer.compare(au(late.messages[0]?.data as Buffer), small[0]?.data as Uint8Array)).toBe(
      0,
    );
    expect(h.keyframeRequests).toBe(1);
    expect(h.metrics.keyframeRequests.get()).toBe(1);
  });

  it('makes a joiner wait for the next IDR (and asks for one) when the GOP is not cached', async () => {
    h = await startHarness(impl, { gopCacheBytes: 0 });
    for (const unit of small.slice(0, 10)) h.send(unit);
    const client = await openClient(h.url);
    await waitFor('the join', () => h.fanout.size === 1);
    expect(h.keyframeRequests).toBe(1);
    for (const unit of small.slice(10, 40)) h.send(unit);
    await waitFor('frames from the IDR on', () => client.messages.length === 10);
    expect(
      Buffer.compare(au(client.messages[0]?.data as Buffer), small[30]?.data as Uint8Array),
    ).toBe(0);
    expect(h.metrics.drops.get('waiting_for_keyframe')).toBe(20);
    const all = concat(client.messages.map((m) => au(m.data)));
    expect((await ffmpegDecode(all)).errors).toBe('');
  });

  it('sends every frame, the same bytes, to 50 clients at once', async () => {
    h = await startHarness(impl);
    const clients = await Promise.all(Array.from({ length: 50 }, () => openClient(h.url)));
    await waitFor('50 clients', () => h.fanout.size === 50);
    const sent: Uint8Array[] = [];
    for (const unit of small.slice(0, 60)) {
      sent.push(h.send(unit));
      await tick(1);
    }
    await waitFor('every frame at every client', () =>
      clients.every((c) => c.messages.length === 60),
    );
    for (const c of clients) {
      expect(c.messages.every((m, i) => Buffer.compare(m.data, sent[i] as Uint8Array) === 0)).toBe(
        true,
      );
    }
    expect(h.metrics.messagesSent.get()).toBe(50 * 60);
    expect(h.metrics.drops.get('slow_client') + h.metrics.drops.get('backpressure')).toBe(0);
    for (const c of clients) c.ws.close();
  });

  it('bounds a stalled client, cuts it after the stall timeout, and the others get every frame', async () => {
    const clientBufferBytes = 256 * 1024;
    h = await startHarness(impl, { clientBufferBytes, gopCacheBytes: 0, stallTimeoutMs: 300 });
    const good = await Promise.all([openClient(h.url), openClient(h.url)]);
    const stalled = await stalledClient(h.server.port);
    await waitFor('3 clients', () => h.fanout.size === 3);
    let maxBuffered = 0;
    let maxMessage = 0;
    let sent = 0;
    // Bounded: 600 frames of ~100 kB at ~5 ms is far past any loopback socket buffer.
    for (let i = 0; i < 600 && h.metrics.disconnects.get('stalled') === 0; i++) {
      const unit = big[i % big.length] as AccessUnit;
      maxMessage = Math.max(maxMessage, h.send(unit).length);
      sent++;
      maxBuffered = Math.max(maxBuffered, h.fanout.maxBufferedBytes());
      await tick(5);
    }
    expect(h.metrics.disconnects.get('stalled')).toBe(1);
    // A paused socket sees no end of stream; reading shows the server really closed it.
    stalled.resume();
    await stalled.closed;
    expect(h.metrics.drops.get('slow_client')).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(clientBufferBytes + maxMessage);
    expect(h.logs.some((l) => l.includes('client stalled, disconnecting'))).toBe(true);
    await waitFor('the good clients', () => good.every((c) => c.messages.length === sent));
    const latency = good.flatMap((c) => c.messages.map((m) => m.receivedAt - m.timestampMs));
    const sorted = latency.sort((a, b) => a - b);
    console.log(
      `[${impl}] ${sent} frames of ≤${maxMessage} B with a stalled client: good clients' latency p50 ${percentile(sorted, 50)} ms, p99 ${percentile(sorted, 99)} ms; stalled client peaked at ${maxBuffered} B unsent`,
    );
  });

  it('skips a slow client to the next keyframe, so what it gets still decodes', async () => {
    const clientBufferBytes = 256 * 1024;
    h = await startHarness(impl, { clientBufferBytes, gopCacheBytes: 0, stallTimeoutMs: 60_000 });
    const slow = await stalledClient(h.server.port);
    await waitFor('the client', () => h.fanout.size === 1);
    let i = 0;
    for (; i < 600 && h.metrics.drops.get('slow_client') < 3; i++) {
      h.send(big[i % big.length] as AccessUnit);
      await tick(2);
    }
    expect(h.metrics.drops.get('slow_client')).toBeGreaterThan(0);
    slow.resume();
    // Two more GOPs: the client drains, then restarts at an IDR.
    for (const end = i + 2 * 30 + 1; i < end; i++) {
      h.send(big[i % big.length] as AccessUnit);
      await tick(5);
    }
    await waitFor('the restart at an IDR', () => h.fanout.maxBufferedBytes() === 0);
    await tick(50);
    expect(slow.messages.length).toBeLessThan(i);
    const decoded = await ffmpegDecode(concat(slow.messages.map((m) => au(m.data))));
    expect(decoded).toEqual({ errors: '', frames: slow.messages.length });
    expect(h.logs.some((l) => /client back at a keyframe .*reason=slow_client/.test(l))).toBe(true);
    slow.socket.destroy();
  });
});

describe('fanout on ws, per frame', () => {
  let h: Harness;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h?.close();
  });

  it.each([
    ['ws', 'with the native send: no stream write for an idle socket', 0],
    ['ws-stream', 'through the stream: one write per socket, of the same buffer', 1],
  ] as const)(
    'frames each message once and writes it to every socket: %s %s',
    async (impl, _what, writesPerClient) => {
      h = await startHarness(impl);
      const clients = await Promise.all(Array.from({ length: 3 }, () => openClient(h.url)));
      await waitFor('3 clients', () => h.fanout.size === 3);
      const writes: Uint8Array[] = [];
      const write = Socket.prototype.write;
      vi.spyOn(Socket.prototype, 'write').mockImplementation(function (
        this: Socket,
        ...args: Parameters<Socket['write']>
      ) {
        writes.push(args[0] as Uint8Array);
        return write.apply(this, args);
      });
      const sent = [0, 1].map((i) => h.send(small[i] as AccessUnit));
      vi.restoreAllMocks();
      // Framed once, not per client: every write of a frame is of the same buffer.
      expect(writes).toHaveLength(2 * 3 * writesPerClient);
      for (const f of [0, 1]) {
        expect(new Set(writes.slice(3 * f, 3 * f + 3)).size).toBe(writesPerClient);
      }
      await waitFor('both frames at every client', () =>
        clients.every((c) => c.messages.length === 2),
      );
      for (const c of clients) {
        c.messages.forEach((m, i) => {
          expect(Buffer.compare(m.data, sent[i] as Uint8Array)).toBe(0);
        });
      }
      // Counted once per frame, the same totals as once per client-frame.
      expect(h.metrics.messagesSent.get()).toBe(6);
      expect(h.metrics.bytesSent.get()).toBe(3 * ((sent[0]?.length ?? 0) + (sent[1]?.length ?? 0)));
    },
  );
});

describe('fanout on ws with a slow client', () => {
  let h: Harness;
  afterEach(async () => {
    vi.restoreAllMocks();
    await h?.close();
  });

  it('hands the rest of a short native send to the stream: the slow client gets whole frames, in order', async () => {
    h = await startHarness('ws', {
      clientBufferBytes: 256 * 1024,
      gopCacheBytes: 0,
      stallTimeoutMs: 60_000,
    });
    const slow = await stalledClient(h.server.port);
    const good = await openClient(h.url);
    await waitFor('2 clients', () => h.fanout.size === 2);
    // A stream write shorter than the frame being sent is the rest of a short native send.
    let frameBytes = 0;
    let rests = 0;
    const write = Socket.prototype.write;
    vi.spyOn(Socket.prototype, 'write').mockImplementation(function (
      this: Socket,
      ...args: Parameters<Socket['write']>
    ) {
      if ((args[0] as Uint8Array).length < frameBytes) rests++;
      return write.apply(this, args);
    });
    const sent: Uint8Array[] = [];
    let i = 0;
    for (; i < 600 && (rests === 0 || h.metrics.drops.get('slow_client') === 0); i++) {
      const unit = big[i % big.length] as AccessUnit;
      frameBytes = unit.data.length + 9 + 2; // message + at least the 2-byte header
      sent.push(h.send(unit));
      await tick(2);
    }
    vi.restoreAllMocks();
    expect(rests).toBeGreaterThan(0);
    expect(h.metrics.drops.get('slow_client')).toBeGreaterThan(0);
    slow.resume();
    for (const end = i + 2 * 30 + 1; i < end; i++) {
      sent.push(h.send(big[i % big.length] as AccessUnit));
      await tick(5);
    }
    await waitFor('both drained', () => h.fanout.maxBufferedBytes() === 0);
    await waitFor('every frame at the good client', () => good.messages.length === sent.length);
    expect(good.messages.every((m, k) => Buffer.compare(m.data, sent[k] as Uint8Array) === 0)).toBe(
      true,
    );
    // The slow client's messages are whole sent messages, in order, with gaps (skipped frames).
    let next = 0;
    for (const m of slow.messages) {
      while (next < sent.length && Buffer.compare(m.data, sent[next] as Uint8Array) !== 0) next++;
      expect(next).toBeLessThan(sent.length);
      next++;
    }
    expect(slow.messages.length).toBeLessThan(sent.length);
    expect(h.logs.some((l) => /client back at a keyframe .*reason=slow_client/.test(l))).toBe(true);
    slow.socket.destroy();
  });
});
