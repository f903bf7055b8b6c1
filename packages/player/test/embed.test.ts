// The ESM build (dist/index.js) imported by a page of another origin, the way an app embeds the
// player, and the Supervisor UI's own way of playing the stream; in Chromium and Firefox.
// Latencies are reported, not asserted.
import { percentile } from '@cam/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detailedLuma,
  ENGINES,
  type Engine,
  pictureLuma,
  viewerStats,
  waitForShown,
} from './browser';
import { ms, useHarness } from './harness';
import { type StaticServer, startStaticServer } from './static-server';
import { startStreamerProcess } from './streamer-process';

const h = useHarness();
let pages: StaticServer;
beforeAll(async () => {
  pages = await startStaticServer();
});
afterAll(() => pages?.close());

describe.each(ENGINES)('%s', (engine) => {
  it.each([
    ['webcodecs', 'canvas'],
    ['jmuxer', 'video'],
  ] as const)(
    '%s: createPlayer on a <%s> plays; capture → shown latency per frame',
    async (decoder, tag) => {
      const page = await h.newPage(engine);
      await page.goto(
        pages.page(
          `/${engine}-${decoder}.html`,
          `<${tag} id="picture"></${tag}>
          <script type="module">
            import { createPlayer } from '/embed/player.js';
            window.shownFrames = [];
            window.camPlayer = createPlayer(document.getElementById('picture'), '${h.streamer.wsUrl}', {
              onFrame: (f) => window.shownFrames.length < 10000 && window.shownFrames.push(f),
            });
          </script>`,
        ),
      );
      await waitForShown(page, 90); // 3 s at 30 fps
      const s = await viewerStats(page);
      expect(s.decoder).toBe(decoder); // the element decides
      expect((await detailedLuma(page, '#picture')).stddev).toBeGreaterThan(20);

      const [frames, shownCount] = (await page.evaluate(
        '[window.shownFrames, window.camPlayer.stats().framesShown]',
      )) as [{ captureMs: number; shownMs: number }[], number];
      expect(frames.length).toBe(shownCount);
      // The first second holds the join; after it, steady state.
      const steadyFrom = (frames[0]?.shownMs ?? 0) + 1000;
      const steady = frames
        .filter((f) => f.shownMs >= steadyFrom)
        .map((f) => f.shownMs - f.captureMs)
        .sort((a, b) => a - b);
      h.report(
        `${engine} ${decoder}: capture→shown steady p50 ${ms(percentile(steady, 50))} p95 ${ms(percentile(steady, 95))} max ${ms(steady.at(-1))} over ${steady.length} frames; first frame ${ms(s.firstFrameMs)} after socket open; ${s.framesDropped} dropped`,
      );
      await page.close();
    },
  );

  it('createPlayer rejects a bad URL and a decoder that does not fit the element', async () => {
    const page = await h.newPage(engine);
    await page.goto(
      pages.page(
        `/${engine}-errors.html`,
        `<script type="module">
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
        </script>`,
      ),
    );
    await page.waitForFunction('window.errors');
    expect(await page.evaluate('window.errors')).toEqual([
      'BAD_URL: stream URL http://127.0.0.1:1/ must start with ws:// or wss://',
      'BAD_URL: stream URL "not a url" is not a URL',
      'TARGET_MISMATCH: decoder jmuxer plays into a <video>, got <canvas>',
    ]);
    await page.close();
  });

  it('plays the Supervisor UI way: each whole message, trailer included, fed to jmuxer', async () => {
    await playsTheSupervisorWay(engine, h.streamer.wsUrl);
  });
});

it('plays channel 0 the v1.0 Supervisor way while the streamer serves three channels', async () => {
  const three = await startStreamerProcess(0, [
    '--channels',
    '640x360@30,320x180@30,160x160@15:rgb',
  ]);
  try {
    await playsTheSupervisorWay('chromium', three.wsUrl);
  } finally {
    await three.stop();
  }
});

async function playsTheSupervisorWay(engine: Engine, wsUrl: string): Promise<void> {
  const page = await h.newPage(engine);
  await page.goto(
    pages.page(
      `/${engine}-supervisor-${new URL(wsUrl).port}.html`,
      `<video id="supervisor" muted autoplay playsinline></video>
        <script src="/embed/jmuxer.min.js"></script>
        <script>
          // The Supervisor UI's settings and feed, as the seed's users run it.
          const video = document.getElementById('supervisor');
          const jm = new JMuxer({ node: video, mode: 'video', flushingTime: 0, fps: 30, clearBuffer: true });
          window.supervisor = { shown: 0 };
          const ws = new WebSocket('${wsUrl}');
          ws.binaryType = 'arraybuffer';
          ws.onmessage = (e) => jm.feed({ video: new Uint8Array(e.data) });
          const count = () => video.requestVideoFrameCallback(() => {
            window.supervisor.shown++;
            count();
          });
          count();
        </script>`,
    ),
  );
  const shown = () => page.evaluate('window.supervisor.shown') as Promise<number>;
  await page.waitForFunction('window.supervisor.shown > 60', { timeout: 20_000 });
  const picture = await page.$('#supervisor');
  const first = Buffer.from((await picture?.screenshot()) ?? []);
  expect((await pictureLuma(page, '#supervisor')).stddev).toBeGreaterThan(20);
  const after = (await shown()) + 15;
  await page.waitForFunction(`window.supervisor.shown > ${after}`, { timeout: 20_000 });
  expect(first.equals(Buffer.from((await picture?.screenshot()) ?? [])), 'the picture moves').toBe(
    false,
  );
  await page.close();
}
