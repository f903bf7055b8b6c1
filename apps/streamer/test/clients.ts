// Test helpers: real WebSocket clients on 127.0.0.1 (ws), a raw one that never reads, and
// plain HTTP requests.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { decodeMessage } from '@cam/protocol';
import WebSocket from 'ws';

export interface Received {
  data: Buffer;
  timestampMs: number;
  receivedAt: number;
}

export interface Client {
  ws: WebSocket;
  messages: Received[];
  /** Resolves with the close code once closed. */
  closed: Promise<number>;
  openedAt: number;
}

/** Opens a client; rejects with the HTTP status when the upgrade is refused. */
export function openClient(
  url: string,
  options: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options.protocols ?? [], { headers: options.headers });
    ws.binaryType = 'nodebuffer';
    const messages: Received[] = [];
    ws.on('message', (data: Buffer) => {
      const { timestampMs } = decodeMessage(data);
      messages.push({ data, timestampMs, receivedAt: Date.now() });
    });
    const closed = new Promise<number>((done) => ws.on('close', (code) => done(code)));
    ws.on('unexpected-response', (_req, res) => {
      reject(
        Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode }),
      );
      res.resume();
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () => resolve({ ws, messages, closed, openedAt: Date.now() }));
  });
}

/** Polls until check() is true (every 10 ms, at most `tries` times); throws what it waited for. */
export async function waitFor(what: string, check: () => boolean, tries = 1000): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads unmasked server→client WebSocket frames from raw bytes (binary and close only). */
class FrameReader {
  private pending = Buffer.alloc(0);
  readonly messages: Received[] = [];
  /** Codes of the close frames received (1005 for a close frame without one). */
  readonly closeCodes: number[] = [];

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const p = this.pending;
      if (p.length < 2) return;
      const opcode = (p[0] as number) & 0x0f;
      let length = (p[1] as number) & 0x7f;
      let at = 2;
      if (length === 126) {
        if (p.length < 4) return;
        length = p.readUInt16BE(2);
        at = 4;
      } else if (length === 127) {
        if (p.length < 10) return;
        length = Number(p.readBigUInt64BE(2));
        at = 10;
      }
      if (p.length < at + length) return;
      const payload = p.subarray(at, at + length);
      this.pending = p.subarray(at + length);
      if (opcode === 8) this.closeCodes.push(payload.length >= 2 ? payload.readUInt16BE(0) : 1005);
      if (opcode === 2) {
        const data = Buffer.from(payload);
        this.messages.push({
          data,
          timestampMs: decodeMessage(data).timestampMs,
          receivedAt: Date.now(),
        });
      }
    }
  }
}

/**
 * A WebSocket client on a raw socket that completes the handshake and then reads nothing (the
 * kernel buffers fill, then the server's); `resume()` starts reading and parsing frames.
 */
export function stalledClient(port: number): Promise<{
  socket: Socket;
  closed: Promise<void>;
  messages: Received[];
  closeCodes: number[];
  resume(): void;
}> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const reader = new FrameReader();
    const closed = new Promise<void>((done) => socket.on('close', () => done()));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.once('data', (head: Buffer) => {
      const end = head.indexOf('\r\n\r\n');
      if (!head.toString().startsWith('HTTP/1.1 101') || end < 0) {
        reject(new Error(`no upgrade: ${head.toString().split('\r\n')[0]}`));
        return;
      }
      socket.pause();
      reader.push(head.subarray(end + 4));
      resolve({
        socket,
        closed,
        messages: reader.messages,
        closeCodes: reader.closeCodes,
        resume: () => {
          socket.on('data', (chunk: Buffer) => reader.push(chunk));
          socket.resume();
        },
      });
    });
  });
}

export async function httpGet(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/**
 * Sends raw bytes on a fresh TCP connection and resolves with everything the server sent back
 * until it closed the connection, or until the first complete response head when `head` is set.
 */
export function rawExchange(
  port: number,
  bytes: string | Buffer,
  options: { head?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may reset a connection it refuses while we are still writing.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(got.toString('latin1'));
      else reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (options.head && got.includes('\r\n\r\n')) {
        socket.destroy();
        resolve(got.toString('latin1'));
      }
    });
    socket.on('close', () => resolve(got.toString('latin1')));
    socket.once('connect', () => socket.write(bytes));
  });
}
