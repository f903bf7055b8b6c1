// The built package as users load it: ESM import and CJS require (uws-pack is ESM only, so the
// CJS build must still reach it through a dynamic import).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createStreamer } from '../src/streamer';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

const program = (load: string) => `
${load}
(async () => {
  const streamer = createStreamer({ source: 'test', width: 160, height: 120, host: '127.0.0.1', port: 0, rtspPort: 0, shmName: 'none', logLevel: 'error' });
  await streamer.start();
  console.log(JSON.stringify({ implementation: streamer.implementation, port: streamer.port > 0 }));
  await streamer.stop();
})();
`;

describe('built package', () => {
  it('runs on uWebSockets.js from the CJS build', async () => {
    const { stdout } = await run(
      'node',
      ['-e', program(`const { createStreamer } = require('./dist/index.cjs');`)],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({ implementation: 'uWebSockets.js', port: true });
  });

  it('runs on uWebSockets.js from the ESM build', async () => {
    const { stdout } = await run(
      'node',
      ['--input-type=module', '-e', program(`import { createStreamer } from './dist/index.js';`)],
      { cwd: root },
    );
    expect(JSON.parse(stdout)).toEqual({ implementation: 'uWebSockets.js', port: true });
  });
});

describe('createStreamer', () => {
  it('gives an unstarted streamer that says so, and validates its config at once', async () => {
    const streamer = createStreamer({ source: 'test', port: 0, shmName: null });
    expect(() => streamer.port).toThrow('streamer port: not started');
    expect(streamer.config).toMatchObject({ source: 'test', port: 0, shmName: null, gop: 30 });
    expect(streamer.config.fps).toBeUndefined(); // the camera decides: 30, or a file's own rate
    expect(() => createStreamer({ fps: 500 })).toThrow('--fps must be an integer 1..120, got 500');
  });
});
