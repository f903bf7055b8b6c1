// The streamer on `--source sophgo` against the stand-in Sophgo libraries (TEST DOUBLES, built
// by @cam/sdk-native's test/standin.ts: no board here): what reaches a WebSocket client decodes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKeyframe } from '@cam/protocol';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  encodeClip,
  leaked,
  makeRoot,
  standinEnv,
} from '../../../packages/sdk-native/test/standin';
import { createLogger } from '../src/log';
import { startStreamer } from '../src/streamer';
import { openClient, waitFor } from './clients';
import { concat, ffmpegDecode } from './h264';

const dir = mkdtempSync(join(tmpdir(), 'cam-streamer-sophgo-'));
const log = join(dir, 'standin.log');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  encodeClip(dir, 640, 360);
  // The backend reads these when the camera opens (CAM_SOPHGO_ROOT: docs/DEVICE.md).
  Object.assign(process.env, standinEnv(makeRoot('glibc', dir), dir, log));
}, 120_000);

it('streams the reCamera camera (stand-ins) to a client, decodable, and frees it on stop', async () => {
  const logs: string[] = [];
  const streamer = await startStreamer(
    {
      source: 'sophgo',
      width: 640,
      height: 360,
      fps: 30,
      bitrateKbps: 1000,
      gop: 30,
      host: '127.0.0.1',
      port: 0,
      shmName: null,
      server: 'ws',
    },
    { log: createLogger({ level: 'debug', json: false, write: (l) => logs.push(l) }) },
  );
  try {
    expect(logs.join('\n')).toMatch(/source=sophgo/);
    const client = await openClient(`ws://127.0.0.1:${streamer.port}/`);
    await waitFor('30 frames', () => client.messages.length >= 30);
    const units = client.messages.map((m) => m.data.subarray(0, m.data.length - 8));
    expect(isKeyframe(units[0] as Uint8Array)).toBe(true);
    expect(await ffmpegDecode(concat(units))).toEqual({ errors: '', frames: units.length });
    client.ws.close();
  } finally {
    await streamer.stop('test over');
  }
  expect(leaked(log)).toEqual([]);
});
