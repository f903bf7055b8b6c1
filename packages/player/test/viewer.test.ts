// The viewer page (dist/viewer) in real headless Chromium and Firefox ESR, playing real H.264
// over a real WebSocket on 127.0.0.1 from the real `cam-streamer`, through each decoder. Times
// are reported, not asserted.
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  detailedLuma,
  ENGINES,
  type Engine,
  pngSize,
  viewerStats,
  waitForShown,
  waitForText,
} from './browser';
import { ms, useHarness } from './harness';
import { type StaticServer, startStaticServer } from './static-server';
import { type StreamerProcess, startStreamerProcess } from './streamer-process';

const h = useHarness();
const DECODERS = ['webcodecs', 'jmuxer'] as const;
const PHONE = { width: 390, height: 844 };

let other: StaticServer; // pages of another origin
let guarded: Promise<StreamerProcess> | undefined;
/** A streamer with a token and an origin list (started once, for both engines). */
const guardedStreamer = () =>
  (guarded ??= startStreamerProcess(0, [
    ...['--token', 'open-sesame'],
    ...['--allow-origin', 'http://192.0.2.1'],
  ]));
beforeAll(async () => {
  other = await startStaticServer();
});
afterAll(async () => {
  await other?.close();
  await guarded?.then(
    (s) => s.stop(),
    () => {},
  );
});

/** The viewer page; every response of 400 or more it got is collected in `failed`. */
async function openViewer(engine: Engine, query: string, viewport?: typeof PHONE) {
  const page = await h.newPage(engine, viewport);
  const failed: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`${h.streamer.httpUrl}/${query}`);
  return { page, failed };
}

const problemOf = async (page: Page) => (await viewerStats(page)).problem;

/**
 * The element a decoder plays into: WebCodecs into a <video> fed by a track generator where the
 * browser has one (Chromium), else into a <canvas> drawn by the page; jmuxer into a <video>.
 */
const pictureTag = (engine: Engine, decoder: 'webcodecs' | 'jmuxer') =>
  decoder === 'jmuxer' || engine === 'chromium' ? 'VIDEO' : 'CANVAS';

describe.each(ENGINES)('%s', (engine) => {
  describe.each(DECODERS)('the viewer page with %s', (decoder) => {
    it('plays a moving picture at once, says how far behind live it is, asks for nothing missing', async () => {
      const { page, failed } = await openViewer(engine, `?decoder=${decoder}`);
      await waitForShown(page, 0);
      const firstFrame = (await viewerStats(page)).firstFrameMs;
      await waitForShown(page, 45);

      const picture = await page.$('.cam-picture');
      expect(await picture?.evaluate((el) => el.tagName)).toBe(pictureTag(engine, decoder));
      const first = await picture?.screenshot();
      const luma = await detailedLuma(page);
      await waitForShown(page, (await viewerStats(page)).framesShown + 15);
      const second = await picture?.screenshot();
      expect(Buffer.compare(Buffer.from(first ?? []), Buffer.from(second ?? []))).not.toBe(0);
      expect(luma.stddev, 'the picture is flat (black?)').toBeGreaterThan(20);

      const s = await viewerStats(page);
      expect(s).toMatchObject({
        decoder,
        state: 'playing',
        width: 640,
        height: 360,
        problem: null,
        lastError: null,
        fallbacks: 0,
      });
      expect(s.firstFrameMs).not.toBeNull();
      expect(s.behindLiveMs).toBeGreaterThanOrEqual(0);
      expect(s.fps).toBeGreaterThan(0); // how many depends on the machine: the policy drops what is late
      expect(s.fps).toBeLessThan(61);
      expect(s.bitrateKbps).toBeGreaterThan(0);
      expect(s.framesShown + s.framesDropped).toBeLessThanOrEqual(s.framesReceived);
      const overlay = await waitForText(page, '#overlay', ' behind live · ');
      expect(overlay).toMatch(new RegExp(`^\\d+ ms behind live · \\d+ fps · 640×360 · ${decoder}`));
      expect(await page.$eval('#message', (el) => (el as HTMLElement).hidden)).toBe(true);
      expect(failed, 'requests that failed (a favicon?)').toEqual([]);
      h.report(
        `${engine} ${decoder}: first frame ${ms(firstFrame)} after socket open; behind live ${ms(s.behindLiveMs)}; capture→shown p50 ${ms(s.displayLatencyMs.p50)} p95 ${ms(s.displayLatencyMs.p95)}; ${s.framesDropped} dropped, ${s.liveSkips} skips`,
      );
      await page.close();
    });

    it('has working controls and keys, and fits a 390x844 phone', async () => {
      const { page } = await openViewer(engine, `?decoder=${decoder}`, PHONE);
      await waitForShown(page, 10);
      // Layout: nothing wider than the screen, the controls on it.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
        PHONE.width,
      );
      for (const selector of ['#overlay', '#controls', '#live', '#info']) {
        const box = await (await page.$(selector))?.boundingBox();
        expect(box, selector).toBeTruthy();
        expect(box?.x ?? -1, selector).toBeGreaterThanOrEqual(0);
        expect((box?.x ?? 0) + (box?.width ?? 0), selector).toBeLessThanOrEqual(PHONE.width);
        expect((box?.y ?? 0) + (box?.height ?? 0), selector).toBeLessThanOrEqual(PHONE.height);
      }

      // Details (i) and back.
      await page.keyboard.press('i');
      expect(await waitForText(page, '#overlay', 'connection  playing')).toContain(
        `decoder     ${decoder}`,
      );
      await page.click('#info');
      await waitForText(page, '#overlay', ' behind live · ');

      // Pause (space): frames keep arriving, none is shown; go live: shown again.
      await page.keyboard.press(' ');
      const paused = await viewerStats(page);
      expect(paused.paused).toBe(true);
      await page.waitForFunction(
        (n: number) => (window.camPlayer?.stats().framesReceived ?? 0) > n + 15,
        { timeout: 10_000 },
        paused.framesReceived,
      );
      const still = await viewerStats(page);
      expect(still.framesShown - paused.framesShown).toBeLessThanOrEqual(3); // already decoding
      expect(await waitForText(page, '#live', 'Go live')).toContain('Go live');
      await page.click('#live');
      await waitForShown(page, still.framesShown + 10);
      expect((await viewerStats(page)).paused).toBe(false);

      // Snapshot (button): a PNG of the stream's size, offered as a download.
      await page.evaluate(() => {
        HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
          Object.assign(window, { saved: { href: this.href, name: this.download } });
        };
      });
      await page.click('#snapshot');
      await page.waitForFunction(() => 'saved' in window, { timeout: 10_000 });
      const saved = (await page.evaluate(async () => {
        const { href, name } = (window as unknown as { saved: { href: string; name: string } })
          .saved;
        const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
        return { name, bytes: Array.from(bytes.subarray(0, 32)), size: bytes.length };
      })) as { name: string; bytes: number[]; size: number };
      expect(saved.name).toMatch(/^camstream-[\dT-]+\.png$/);
      expect(pngSize(Uint8Array.from(saved.bytes))).toEqual({ width: 640, height: 360 });
      expect(saved.size).toBeGreaterThan(10_000); // a picture, not an empty image

      // Fullscreen (f) and out again.
      await page.keyboard.press('f');
      await page.waitForFunction(() => document.fullscreenElement !== null, { timeout: 10_000 });
      await page.keyboard.press('f');
      await page.waitForFunction(() => document.fullscreenElement === null, { timeout: 10_000 });

      // Picture in picture (button in, p out; both engines have it, headless too): the stream
      // moves in it at its size; a <video> goes there itself, a canvas through a <video> of its
      // captureStream(), whose capture ends with the window.
      expect(await page.$eval('#pip', (el) => (el as HTMLElement).hidden)).toBe(false);
      await page.click('#pip');
      await page.waitForFunction(() => document.pictureInPictureElement !== null, {
        timeout: 10_000,
      });
      const inPip = await page.evaluate(() => {
        const video = document.pictureInPictureElement as HTMLVideoElement;
        const counted = { pipVideo: video, pipFrames: 0 };
        Object.assign(window, counted);
        const count = () =>
          video.requestVideoFrameCallback(() => {
            (window as unknown as typeof counted).pipFrames++;
            count();
          });
        count();
        return { tag: video.tagName, own: video === document.querySelector('.cam-picture') };
      });
      expect(inPip).toEqual({ tag: 'VIDEO', own: pictureTag(engine, decoder) === 'VIDEO' });
      await page.waitForFunction('window.pipFrames > 15', { timeout: 10_000 });
      expect(
        await page.evaluate('[window.pipVideo.videoWidth, window.pipVideo.videoHeight]'),
      ).toEqual([640, 360]);
      await page.keyboard.press('p');
      await page.waitForFunction(() => document.pictureInPictureElement === null, {
        timeout: 10_000,
      });
      if (pictureTag(engine, decoder) === 'CANVAS') {
        await page.waitForFunction('window.pipVideo.srcObject === null', { timeout: 10_000 });
      }
      expect(await page.$eval('#message', (el) => (el as HTMLElement).hidden)).toBe(true);
      await page.close();
    });
  });

  it.each([
    ['VideoDecoder', 'webcodecs', 'jmuxer'],
    ['MediaSource', 'jmuxer', 'webcodecs'],
  ] as const)('without %s, the viewer asked for %s plays with %s', async (api, asked, used) => {
    const page = await h.newPage(engine);
    await page.evaluateOnNewDocument(`delete window.${api};`);
    await page.goto(`${h.streamer.httpUrl}/?decoder=${asked}`);
    await waitForShown(page, 15);
    expect(await viewerStats(page)).toMatchObject({ decoder: used, problem: null });
    await page.close();
  });

  it('with no decoder asked, plays with the one that shows frames off the main thread', async () => {
    const page = await h.newPage(engine);
    await page.goto(h.streamer.httpUrl);
    await waitForShown(page, 15);
    // Chromium: WebCodecs through a track generator; Firefox has none: MSE, not a canvas drawn
    // by the page (~36 ms a 1080p frame in software, more than a frame's time).
    const auto = engine === 'chromium' ? 'webcodecs' : 'jmuxer';
    expect(await viewerStats(page)).toMatchObject({ decoder: auto, problem: null });
    expect(await page.$eval('.cam-picture', (el) => el.tagName)).toBe('VIDEO');
    await page.close();
  });

  it('without a track generator, plays WebCodecs on a canvas when asked, and MSE when not', async () => {
    const script = 'delete window.MediaStreamTrackGenerator;';
    const asked = await h.newPage(engine);
    await asked.evaluateOnNewDocument(script);
    await asked.goto(`${h.streamer.httpUrl}/?decoder=webcodecs`);
    await waitForShown(asked, 15);
    expect(await viewerStats(asked)).toMatchObject({ decoder: 'webcodecs', problem: null });
    expect(await asked.$eval('.cam-picture', (el) => el.tagName)).toBe('CANVAS');
    expect((await detailedLuma(asked)).stddev, 'the canvas is flat (black?)').toBeGreaterThan(20);
    await asked.close();

    const auto = await h.newPage(engine);
    await auto.evaluateOnNewDocument(script);
    await auto.goto(h.streamer.httpUrl);
    await waitForShown(auto, 15);
    expect(await viewerStats(auto)).toMatchObject({ decoder: 'jmuxer', problem: null });
    await auto.close();
  });

  it('hides picture in picture where the browser does not offer it, and p does nothing', async () => {
    const page = await h.newPage(engine);
    // A test double for a browser without it: the real API, switched off the way a user or a
    // policy does (document.pictureInPictureEnabled false).
    await page.evaluateOnNewDocument(
      `Object.defineProperty(Document.prototype, 'pictureInPictureEnabled', { get: () => false });`,
    );
    await page.goto(`${h.streamer.httpUrl}/?decoder=jmuxer`);
    await waitForShown(page, 5);
    expect(await page.$eval('#pip', (el) => (el as HTMLElement).hidden)).toBe(true);
    await page.keyboard.press('p');
    await waitForShown(page, (await viewerStats(page)).framesShown + 10);
    expect(await page.evaluate(() => document.pictureInPictureElement)).toBeNull();
    expect(await page.$eval('#message', (el) => (el as HTMLElement).hidden)).toBe(true);
    await page.close();
  });

  it('says so when the browser can decode the stream with neither', async () => {
    const page = await h.newPage(engine);
    await page.evaluateOnNewDocument('delete window.VideoDecoder; delete window.MediaSource;');
    await page.goto(h.streamer.httpUrl);
    const text = await waitForText(page, '#message', 'cannot play');
    expect(text).toMatch(
      /^this browser cannot play this H\.264 stream \(avc1\.[0-9A-F]{6}\): neither WebCodecs nor MSE decodes it$/,
    );
    expect((await problemOf(page))?.code).toBe('UNSUPPORTED');
    await page.close();
  });

  it('falls back to jmuxer once when WebCodecs fails mid-stream', async () => {
    const page = await h.newPage(engine);
    // A test double for a decoder failure: the real VideoDecoder, whose error callback is
    // called after its 20th frame, as a decoder that hits a stream it cannot decode does.
    await page.evaluateOnNewDocument(`{
      const Real = window.VideoDecoder;
      window.VideoDecoder = class extends Real {
        constructor(init) {
          let frames = 0;
          super({
            output: (frame) => {
              if (++frames !== 20) return init.output(frame);
              frame.close();
              init.error(new DOMException('injected failure', 'EncodingError'));
            },
            error: init.error,
          });
        }
      };
    }`);
    await page.goto(`${h.streamer.httpUrl}/?decoder=webcodecs`);
    await page.waitForFunction(() => window.camPlayer?.stats().decoder === 'jmuxer', {
      timeout: 20_000,
    });
    const switched = await viewerStats(page);
    await waitForShown(page, switched.framesShown + 15);
    const s = await viewerStats(page);
    expect(s).toMatchObject({ decoder: 'jmuxer', fallbacks: 1, problem: null });
    expect(s.lastError).toBe('webcodecs: injected failure');
    expect(await page.$$eval('.cam-picture', (els) => els.map((e) => e.tagName))).toEqual([
      'VIDEO',
    ]);
    await page.close();
  });

  it('says what to do about a token, an origin, and a streamer that is not there', async () => {
    const guarded = await guardedStreamer();
    // Its own viewer page: allowed whatever --allow-origin lists; the token opens it.
    const ok = await h.newPage(engine);
    await ok.goto(`${guarded.httpUrl}/?token=open-sesame`);
    await waitForShown(ok, 10);
    expect(await viewerStats(ok)).toMatchObject({ problem: null, lastError: null });
    await ok.close();

    const page = await h.newPage(engine);
    await page.goto(`${guarded.httpUrl}/`);
    expect(await waitForText(page, '#message', 'token')).toBe(
      'this stream needs a token: add ?token=... to the address',
    );
    expect((await viewerStats(page)).framesReceived).toBe(0);
    await page.goto(`${guarded.httpUrl}/?token=wrong-one-42`);
    expect(await waitForText(page, '#message', 'token')).toBe(
      'the streamer refused this token: check ?token=... in the address',
    );
    await page.close();

    // A page of another origin (an app embedding the player), and a port nobody listens on.
    const embed = (name: string, wsUrl: string) =>
      other.page(
        `/${engine}-${name}.html`,
        `<div id="stage"></div><script type="module">
          import { createPlayer } from '/embed/player.js';
          window.camPlayer = createPlayer(document.getElementById('stage'), '${wsUrl}', {
            token: 'open-sesame', statsIntervalMs: 100,
          });
        </script>`,
      );
    const foreign = await h.newPage(engine);
    await foreign.goto(embed('origin', `ws://127.0.0.1:${guarded.port}/`));
    await foreign.waitForFunction(() => window.camPlayer?.stats().problem?.code === 'ORIGIN', {
      timeout: 20_000,
    });
    expect((await problemOf(foreign))?.message).toBe(
      `this page's origin (${other.origin}) is not allowed by the streamer (--allow-origin)`,
    );
    await foreign.close();

    const nobody = await h.newPage(engine);
    await nobody.goto(embed('unreachable', 'ws://127.0.0.1:9/'));
    await nobody.waitForFunction(() => (window.camPlayer?.stats().attempt ?? 0) >= 3, {
      timeout: 20_000,
    });
    expect((await problemOf(nobody))?.message).toMatch(
      /^streamer not reachable, retrying (now|in \d+ s) \(attempt \d+\)$/,
    );
    await nobody.close();
  });
});

it('says the streamer stopped, then each engine and decoder plays again on its return, error gone', async () => {
  let own = await startStreamerProcess(); // stopped and started again: not the shared one
  try {
    const viewers: { name: string; page: Page }[] = [];
    for (const engine of ENGINES) {
      for (const decoder of DECODERS) {
        viewers.push({ name: `${engine} ${decoder}`, page: await h.newPage(engine) });
        await viewers.at(-1)?.page.goto(`${own.httpUrl}/?decoder=${decoder}`);
      }
    }
    // A background tab shows nothing (a <video> of a hidden Chromium tab gets no frames), as it
    // should: each page is brought to the front in turn to be watched.
    for (const { page } of viewers) {
      await page.bringToFront();
      await waitForShown(page, 10);
    }
    await own.stop();
    const before: number[] = [];
    for (const { name, page } of viewers) {
      const text = await waitForText(page, '#message', 'streamer stopped, retrying in');
      expect(text, name).toMatch(/^streamer stopped, retrying (now|in \d+ s) \(attempt \d+\)$/);
      before.push((await viewerStats(page)).framesShown);
    }
    const restartAt = Date.now();
    own = await startStreamerProcess(own.port);
    const startMs = Date.now() - restartAt;
    for (const [i, { name, page }] of viewers.entries()) {
      await page.bringToFront();
      await waitForShown(page, (before[i] ?? 0) + 30);
      const playingMs = Date.now() - restartAt;
      const s = await viewerStats(page);
      expect(s, name).toMatchObject({
        state: 'playing',
        reconnects: 1,
        problem: null,
        lastError: null,
      });
      expect(await page.$eval('#message', (el) => (el as HTMLElement).hidden), name).toBe(true);
      h.report(
        `${name}: restarted streamer (start ${startMs} ms); 30 frames shown ${playingMs} ms after the restart began (pages watched in turn); first frame ${ms(s.firstFrameMs)} after the new socket opened`,
      );
      await page.close();
    }
  } finally {
    await own.stop();
  }
});

it('plays channel 1 of a streamer with channels (?channel=1) and offers the others in a selector', async () => {
  const two = await startStreamerProcess(0, ['--channels', '640x360@30,320x180@30,160x160@15:rgb']);
  try {
    const page = await h.newPage('chromium');
    await page.goto(`${two.httpUrl}/?decoder=webcodecs&channel=1`);
    await waitForShown(page, 30);
    expect(await viewerStats(page)).toMatchObject({ width: 320, height: 180, lastError: null });
    // The raw channel is not playable in a browser: only the two H.264 channels are offered.
    const options = await page.$$eval('#channel option', (els) => els.map((e) => e.textContent));
    expect(options).toEqual(['0: H.264 640x360 @ 30', '1: H.264 320x180 @ 30']);
    expect(await page.$eval('#channel', (el) => (el as HTMLSelectElement).value)).toBe('1');
    await page.close();
  } finally {
    await two.stop();
  }
});
