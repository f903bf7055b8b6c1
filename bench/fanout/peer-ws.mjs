// The peer: the simplest correct broadcast server on `ws` (its README's broadcast loop), fed by
// the same camera source as the streamer and framing with the same @cam/protocol function.
// No per-client bound, no GOP cache for late joiners: what a plain `ws` server does.
import { dependencyOf, workspace } from './deps.mjs';

// ws is CommonJS: its classes hang off the default export.
const { default: WebSocket } = await dependencyOf('apps/streamer', 'ws');
const { WebSocketServer } = WebSocket;
const { encodeMessage } = await workspace('packages/protocol');
const { openCamera } = await workspace('packages/sdk-native');

/**
 * Starts the peer on 127.0.0.1:0; `onFrame({ timestampMs, bytes })` runs before each broadcast
 * (the publish stamp), as the streamer's 'frame' event does.
 */
export async function startPeer(clipPath, fps, onFrame) {
  const camera = await openCamera({ source: `file:${clipPath}`, fps });
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve, reject) => {
    wss.once('listening', resolve);
    wss.once('error', reject);
  });
  camera.on('frame', (frame) => {
    onFrame({ timestampMs: frame.timestampMs, bytes: frame.data.length });
    const message = encodeMessage(frame.data, frame.timestampMs);
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(message, { binary: true });
    }
  });
  return {
    port: wss.address().port,
    clients: () => wss.clients.size,
    maxBufferedBytes: () => {
      let max = 0;
      for (const client of wss.clients) max = Math.max(max, client.bufferedAmount);
      return max;
    },
    stalledCuts: () => 0,
    async close() {
      await camera.close();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}
