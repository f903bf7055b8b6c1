// Hostile clients on raw sockets, against both server implementations: malformed request
// targets, oversized request lines and headers. Every one must end in a reply or a closed
// connection while the server keeps serving everyone else.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { openClient, rawExchange } from './clients';
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
