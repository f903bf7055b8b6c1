// The addon against real TCP sockets on 127.0.0.1: the server side's fd, as the streamer has it.
import { closeSync, openSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeSend } from './index';

const { send, maxBytes } = nativeSend();
const NONE = new Uint8Array(0);

/** The fd of a socket's libuv handle (what the streamer reads from `socket._handle.fd`). */
function fdOf(socket: Socket): number {
  return (socket as unknown as { _handle: { fd: number } })._handle.fd;
}

const open: Array<Server | Socket> = [];
afterEach(() => {
  for (const s of open.splice(0)) 'destroy' in s ? s.destroy() : s.close();
});

/**
 * A connected pair: the accepted (server) socket and the client, both open. The server side is
 * never read (pauseOnConnect), so Node neither sees a reset on it nor closes its fd.
 */
async function pair(): Promise<{ server: Socket; client: Socket }> {
  const listener = createServer({ pauseOnConnect: true });
  open.push(listener);
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const port = (listener.address() as { port: number }).port;
  const client = createConnection(port, '127.0.0.1');
  open.push(client);
  const server = await accepted;
  open.push(server);
  return { server, client };
}

async function read(socket: Socket, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let got = 0;
  for await (const chunk of socket) {
    chunks.push(chunk as Buffer);
    got += (chunk as Buffer).length;
    if (got >= bytes) break;
  }
  return Buffer.concat(chunks);
}

function pattern(length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + 3) & 0xff;
  return bytes;
}

describe('send', () => {
  it('sends a whole frame at once, byte for byte', async () => {
    const { server, client } = await pair();
    const data = pattern(17_000).subarray(1); // a view at an offset, as the v1.0 framing is
    expect(send(fdOf(server), NONE, data)).toBe(data.length);
    expect((await read(client, data.length)).equals(data)).toBe(true);
  });

  it('sends a head and a body as one run of bytes, head first; either may be empty', async () => {
    const { server, client } = await pair();
    const data = pattern(17_000);
    const head = data.subarray(0, 4);
    const body = data.subarray(4);
    expect(send(fdOf(server), head, body)).toBe(data.length);
    expect(send(fdOf(server), head, NONE)).toBe(4);
    const got = await read(client, data.length + 4);
    expect(got.subarray(0, data.length).equals(data)).toBe(true);
    expect(got.subarray(data.length).equals(head)).toBe(true);
  });

  it('takes what fits into a socket nobody reads, then nothing (would block)', async () => {
    const { server, client } = await pair();
    client.pause();
    const data = pattern(64 << 20);
    const first = send(fdOf(server), data.subarray(0, 32 << 20), data.subarray(32 << 20));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(data.length);
    expect(send(fdOf(server), NONE, data.subarray(first))).toBe(0);
    // What went out is the prefix, intact.
    expect((await read(client, first)).subarray(0, first).equals(data.subarray(0, first))).toBe(
      true,
    );
  });

  it('reports a reset peer as -errno and raises no SIGPIPE', async () => {
    const { server, client } = await pair();
    const fd = fdOf(server);
    client.resetAndDestroy();
    // Until the RST has arrived the kernel still takes bytes; then the error, twice (no SIGPIPE).
    const errors = [-constants.errno.ECONNRESET, -constants.errno.EPIPE];
    const deadline = Date.now() + 10_000;
    let result = 0;
    while (!errors.includes(result) && Date.now() < deadline) {
      result = send(fd, NONE, pattern(100));
      if (result === 100) await new Promise((r) => setTimeout(r, 10));
    }
    expect(errors).toContain(result);
    expect(errors).toContain(send(fd, NONE, pattern(100)));
  });

  it('reports an fd that is no socket or not open as -errno', () => {
    const file = openSync(join(tmpdir(), `cam-send-${process.pid}`), 'w');
    try {
      expect(send(file, NONE, pattern(10))).toBe(-constants.errno.ENOTSOCK);
    } finally {
      closeSync(file);
    }
    expect(send(2 ** 31 - 1, NONE, pattern(10))).toBe(-constants.errno.EBADF);
  });

  it('throws INVALID_ARGUMENT for a bad fd number, data or length, with what is wrong', () => {
    const bad: Array<[unknown[], RegExp]> = [
      [[-1, NONE, pattern(1)], /integer from 0 to 2\^31-1/],
      [[1.5, NONE, pattern(1)], /integer from 0 to 2\^31-1/],
      [[Number.NaN, NONE, pattern(1)], /integer from 0 to 2\^31-1/],
      [[2 ** 31, NONE, pattern(1)], /integer from 0 to 2\^31-1/],
      [['3', NONE, pattern(1)], /file descriptor and two Uint8Arrays/],
      [[3, NONE, [1, 2, 3]], /file descriptor and two Uint8Arrays/],
      [[3, pattern(1)], /file descriptor and two Uint8Arrays/],
      [[3, NONE, new Uint16Array(4)], /must be Uint8Arrays/],
      [[3, new Int8Array(4), NONE], /must be Uint8Arrays/],
      [[3, NONE, Buffer.allocUnsafeSlow(maxBytes + 1)], /longer than maxBytes/],
      [[3, Buffer.allocUnsafeSlow(maxBytes), pattern(1)], /longer than maxBytes/],
    ];
    for (const [args, message] of bad) {
      const call = () => (send as (...a: unknown[]) => number)(...args);
      expect(call).toThrow(message);
      try {
        call();
      } catch (err) {
        expect((err as { code?: string }).code).toBe('INVALID_ARGUMENT');
      }
    }
  });

  it('is loaded once', () => {
    expect(nativeSend().send).toBe(send);
    expect(maxBytes).toBe(2 ** 30);
  });
});
