// Hostile clients on raw sockets, against both server implementations: malformed request
// targets, oversized request lines and headers, WebSocket frames the RFC forbids. Every one must
// end in a reply, a closed connection or bytes ignored, while the server keeps serving everyone
// else.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient, rawExchange, stalledClient, waitFor } from './clients';
import { makeH264 } from './h264';
import { type Harness, IMPLEMENTATIONS, startHarness } from './harness';

const UPGRADE_HEADERS = () =>
  `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n` +
  `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n`;

describe.each(IMPLEMENTATIONS)('hostile HTTP on %s', (impl) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  /** The server still answers a plain request and still upgrades a WebSocket. */
  async function stillServing(port: number): Promise<void> {
    const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 404 /);
    const client = await openClient(`ws://127.0.0.1:${port}/`);
    client.ws.close();
  }

  it.each([
    ['a scheme-relative target with a broken host', 'GET //[ HTTP/1.1'],
    ['an absolute target with an unclosed IPv6 host', 'GET http://[::1 HTTP/1.1'],
    ['an absolute target with a port past 65535', 'GET http://a:99999/ HTTP/1.1'],
    ['a target of only a query', 'GET ?token=x HTTP/1.1'],
  ])('answers %s without crashing', async (_what, line) => {
    h = await startHarness(impl);
    const reply = await rawExchange(
      h.server.port,
      `${line}\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    // A path goes to the routes (404 here); anything else is refused: 400 on ws, 505 (sic) from
    // uWebSockets.js.
    expect(reply).toMatch(/^HTTP\/1\.1 (404|400|505) /);
    await stillServing(h.server.port);
  });

  it('upgrades on a malformed target without crashing (any path is accepted)', async () => {
    h = await startHarness(impl);
    for (const target of ['//[', 'http://[::1', 'http://a:99999/']) {
      const reply = await rawExchange(
        h.server.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\n${UPGRADE_HEADERS()}\r\n`,
        { head: true },
      );
      expect(reply.split('\r\n')[0]).toMatch(/^HTTP\/1\.1 (101|400|505) /);
    }
    await stillServing(h.server.port);
  });

  it('refuses a request line and headers past the ceiling, and keeps serving', async () => {
    h = await startHarness(impl);
    const longLine = await rawExchange(
      h.server.port,
      `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect(longLine).not.toMatch(/^HTTP\/1\.1 [23]/);
    const manyHeaders = await rawExchange(
      h.server.port,
      `GET / HTTP/1.1\r\nHost: x\r\n${'X-Filler: 0123456789abcdef\r\n'.repeat(3000)}Connection: close\r\n\r\n`,
    );
    expect(manyHeaders).not.toMatch(/^HTTP\/1\.1 [23]/);
    await stillServing(h.server.port);
  });
});

/** A client→server frame (payload < 126 bytes), masked unless told otherwise. */
function clientFrame(opcode: number, fin: boolean, payload: string, masked = true): Buffer {
  const data = Buffer.from(payload);
  const head = Buffer.from([(fin ? 0x80 : 0) | opcode, (masked ? 0x80 : 0) | data.length]);
  if (!masked) return Buffer.concat([head, data]);
  const mask = randomBytes(4);
  return Buffer.concat([head, mask, data.map((b, i) => b ^ (mask[i % 4] as number))]);
}

// RFC 6455 §5.1 and §5.4: a server must fail the connection on an unmasked client frame and on a
// data frame inside an unfinished fragmented message. ws does (close 1002). uWebSockets.js does
// neither (its parser assumes every client frame carries a mask key and only refuses a text
// frame inside a fragmented message), and it hands JavaScript whole messages only, so the server
// cannot see those frames to close on them. It stays harmless: client messages are ignored
// (counted; only a keyframe request is acted on), capped at maxClientMessageBytes, and the
// stream to that client and to everyone else goes on (apps/streamer/README.md, Security).
describe.each(IMPLEMENTATIONS)('hostile WebSocket frames on %s', (impl) => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it.each([
    ['an unmasked client frame', [clientFrame(2, true, 'hello', false)]],
    [
      'a data frame inside an unfinished fragmented message',
      [clientFrame(2, false, 'ab'), clientFrame(2, true, 'cd')],
    ],
  ])(
    '%s: ws fails the connection (1002), uWS ignores it and keeps streaming',
    async (_what, frames) => {
      h = await startHarness(impl);
      const units = await makeH264({ frames: 4 });
      const bystander = await openClient(h.url);
      const raw = await stalledClient(h.server.port);
      raw.resume();
      await waitFor('both clients', () => h?.fanout.size === 2);
      for (const f of frames) raw.socket.write(f);
      if (impl === 'ws') {
        await raw.closed;
        expect(raw.closeCodes).toEqual([1002]);
      }
      for (const unit of units) h.send(unit);
      await waitFor(
        'the bystander to get the stream',
        () => bystander.messages.length === units.length,
      );
      if (impl === 'uws') {
        await waitFor(
          'the raw client to get the stream',
          () => raw.messages.length === units.length,
        );
        expect(raw.socket.destroyed).toBe(false);
        // Nothing reached the message handler but, for the fragments, one message it ignored.
        expect(h.metrics.clientMessages.get()).toBe(frames.length === 2 ? 1 : 0);
      }
      expect(h.fanout.size).toBe(impl === 'ws' ? 1 : 2);
    },
  );
});
