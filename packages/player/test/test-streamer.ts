// A minimal stand-in for apps/streamer with the same contract: the viewer page at `/`,
// `/api/stream`, and one `AU ‖ u64 LE capture ms` WebSocket message per access unit on any path,
// a late joiner starting at the cached GOP's IDR. It loops a real ffmpeg clip in real time.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { encodeMessage, isKeyframe } from '@cam/protocol';
import { WebSocketServer } from 'ws';
import type { H264Clip } from './h264-fixture';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

export interface TestStreamer {
  /** http://127.0.0.1:PORT */
  httpUrl: string;
  port: number;
  stop(): Promise<void>;
}

export async function startTestStreamer(
  clip: H264Clip,
  viewerDir: string,
  port = 0,
): Promise<TestStreamer> {
  const http: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/api/stream') {
      const { width, height, fps } = clip;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ width, height, fps, codec: 'h264' }));
      return;
    }
    const file = normalize(join(viewerDir, path === '/' ? 'index.html' : path));
    try {
      if (!file.startsWith(viewerDir)) throw new Error('outside the viewer directory');
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server: http });
  const gop: Uint8Array[] = []; // messages since the last keyframe, for late joiners
  wss.on('connection', (ws) => {
    for (const message of gop) ws.send(message);
  });
  let next = 0;
  const timer = setInterval(() => {
    const au = clip.accessUnits[next] as Uint8Array;
    next = (next + 1) % clip.accessUnits.length;
    const message = encodeMessage(au, Date.now());
    if (isKeyframe(au)) gop.length = 0;
    gop.push(message);
    for (const ws of wss.clients) ws.send(message);
  }, 1000 / clip.fps);

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', resolve);
  });
  const actual = (http.address() as AddressInfo).port;
  return {
    httpUrl: `http://127.0.0.1:${actual}`,
    port: actual,
    stop: async () => {
      clearInterval(timer);
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections(); // the page's keep-alive HTTP connection would hold close() open
      await closed;
    },
  };
}
