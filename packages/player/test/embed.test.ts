// The ESM build (dist/index.js) imported by a page the way an app embeds the player, and the
// Supervisor UI's own way of playing the stream. Latencies are reported, not asserted.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '@cam/protocol';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { pictureLuma, viewerStats, waitForShown } from './chromium';
import { ms, useHarness } from './harness';
import { startStreamerProcess } from './streamer-process';

const h = useHarness();
const require = createRequire(import.meta.url);
const files: Record<string, string> = {
  '/embed/player.js': fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  '/embed/protocol.js': esmBuildOf('@cam/protocol'),
};

function esmBuildOf(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  return join(dirname(manifest), (require(manifest) as { module: string }).module);
}

/** A page of the streamer's origin that can `import '/embed/player.js'` (an import map finds @cam/protocol). */
async function embedPage(body: string): Promise<Page> {
  const page = await h.newPage();
  await page.route('**/embed/**', (route) => {
    const path = files[new URL(route.request().url()).pathname];
    return path
      ? route.fulfill({ path, contentType: 'text/javascript' })
      : route.fulfill({ status: 404 });
  });
  await page.goto(`${h.streamer.httpUrl}/api/stream`);
  await page.setContent(
    `<script type="importmap">{ "imports": { "@cam/protocol": "/embed/protocol.js" } }</script>${body}`,
  );
  return page;
}

it.each([
  ['webcodecs', 'canvas'],
  ['jmuxer', 'video'],
] as const)(
  '%s: createPlayer on a <%s> plays; capture → shown latency per frame',
  async (decoder, tag) => {
    const page = await embedPage(`<${tag} id="picture"></${tag}>
    <script type="module">
      import { createPlayer } from '/embed/player.js';
      window.shownFrames = [];
      window.camPlayer = createPlayer(document.getElementById('picture'), '${h.streamer.wsUrl}', {
        onFrame: (f) => window.shownFrames.length < 10000 && window.shownFrames.push(f),
      });
    </script>`);
    await waitForShown(page, 150); // 5 s at 30 fps
    const s = await viewerStats(page);
    expect(s.decoder).toBe(decoder); // `auto` follows the element
    expect((await pictureLuma(page)).stddev).toBeGreaterThan(20);

    const [frames, shownCount] = (await page.evaluate(
      '[window.shownFrames, window.camPlayer.stats().framesShown]',
    )) as [{ captureMs: number; shownMs: number }[], number];
    expect(frames.length).toBe(shownCount);
    // The first second holds the late joiner's catch-up burst (the cached GOP); after it, steady state.
    const steadyFrom = (frames[0]?.shownMs ?? 0) + 1000;
    const all = frames.map((f) => f.shownMs - f.captureMs);
    const steady = frames
      .filter((f) => f.shownMs >= steadyFrom)
      .map((f) => f.shownMs - f.captureMs);
    const sorted = steady.sort((a, b) => a - b);
    h.report(
      `${decoder}: capture→shown steady p50 ${ms(percentile(sorted, 50))} p95 ${ms(percentile(sorted, 95))} max ${ms(sorted.at(-1))} over ${sorted.length} frames; first second max ${ms(Math.max(...all.slice(0, all.length - steady.length)))}; first frame ${ms(s.firstFrameMs)} after socket open`,
    );
    await page.close();
  },
);

it('createPlayer rejects a bad URL and a decoder that does not fit the element', async () => {
  const page = await embedPage(`<script type="module">
      import { createPlayer } from '/embed/player.js';
      const codeOf = (f) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return \`\${e.code}: \${e.message}\`;
        }
      };
      const canvas = document.createElement('canvas');
      window.errors = [
        codeOf(() => createPlayer(canvas, 'http://127.0.0.1:1/')),
        codeOf(() => createPlayer(canvas, 'not a url')),
        codeOf(() => createPlayer(canvas, 'ws://127.0.0.1:1/', { decoder: 'jmuxer' })),
      ];
    </script>`);
  await page.waitForFunction('window.errors');
  expect(await page.evaluate('window.errors')).toEqual([
    'BAD_URL: stream URL http://127.0.0.1:1/ must start with ws:// or wss://',
    'BAD_URL: stream URL "not a url" is not a URL',
    'TARGET_MISMATCH: decoder jmuxer plays into a <video>, got <canvas>',
  ]);
  await page.close();
});

it('plays the Supervisor UI way: each whole message, trailer included, fed to jmuxer', async () => {
  await playsTheSupervisorWay(h.streamer);
});

it('plays channel 0 the v1.0 Supervisor way while the streamer serves three channels', async () => {
  const three = await startStreamerProcess(0, [
    '--channels',
    '640x360@30,320x180@30,160x160@15:rgb',
  ]);
  try {
    await playsTheSupervisorWay(three);
  } finally {
    await three.stop();
  }
});

async function playsTheSupervisorWay(streamer: { httpUrl: string; wsUrl: string }): Promise<void> {
  const page = await h.newPage();
  await page.goto(`${streamer.httpUrl}/api/stream`);
  await page.setContent('<video id="supervisor" muted autoplay playsinline></video>');
  await page.addScriptTag({ path: require.resolve('jmuxer/dist/jmuxer.min.js') });
  await page.evaluate((url) => {
    const video = document.getElementById('supervisor') as HTMLVideoElement;
    // The Supervisor UI's settings and feed, as the seed's users run it.
    const { JMuxer } = window as unknown as {
      JMuxer: new (o: object) => { feed(d: { video: Uint8Array }): void };
    };
    const jm = new JMuxer({
      node: video,
      mode: 'video',
      flushingTime: 0,
      fps: 30,
      clearBuffer: true,
    });
    const seen = { shown: 0 };
    Object.assign(window, { supervisor: seen });
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (e) => jm.feed({ video: new Uint8Array(e.data as ArrayBuffer) });
    const count = () =>
      video.requestVideoFrameCallback(() => {
        seen.shown++;
        count();
      });
    count();
  }, streamer.wsUrl);
  const shown = () => page.evaluate('window.supervisor.shown') as Promise<number>;
  await page.waitForFunction('window.supervisor.shown > 60', undefined, { timeout: 15_000 });
  const first = await page.locator('#supervisor').screenshot();
  expect((await pictureLuma(page, 'supervisor')).stddev).toBeGreaterThan(20);
  const after = (await shown()) + 15;
  await page.waitForFunction(`window.supervisor.shown > ${after}`);
  expect(first.equals(await page.locator('#supervisor').screenshot())).toBe(false);
  await page.close();
}
