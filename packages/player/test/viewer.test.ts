// The viewer page (dist/viewer) in real headless Chromium, playing real H.264 over a real
// WebSocket on 127.0.0.1, through each decode path. Times are reported, not asserted.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { pictureLuma, viewerStats, waitForShown } from './chromium';
import { ms, useHarness } from './harness';
import { startStreamerProcess } from './streamer-process';

const h = useHarness();

async function openViewer(decoder: string): Promise<Page> {
  const page = await h.newPage();
  await page.goto(`${h.streamer.httpUrl}/?decoder=${decoder}`);
  return page;
}

describe.each(['webcodecs', 'jmuxer'] as const)('the viewer page with %s', (decoder) => {
  it('plays a moving picture and shows sane numbers', async () => {
    const page = await openViewer(decoder);
    await waitForShown(page, 60);

    const first = await page.locator('#picture').screenshot();
    const luma = await pictureLuma(page);
    await waitForShown(page, (await viewerStats(page)).framesShown + 15);
    const second = await page.locator('#picture').screenshot();

    expect(first.equals(second), 'two screenshots half a second apart are identical').toBe(false);
    expect(luma.stddev, 'the picture is flat (black?)').toBeGreaterThan(20);

    const s = await viewerStats(page);
    expect(s).toMatchObject({
      decoder,
      state: 'playing',
      width: 640,
      height: 360,
      lastError: null,
    });
    expect(s.fps).toBeGreaterThan(5);
    expect(s.fps).toBeLessThan(61);
    expect(s.bitrateKbps).toBeGreaterThan(0);
    expect(s.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(s.displayLatencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(s.framesShown).toBeLessThanOrEqual(s.framesReceived);

    const overlay = await page.locator('#overlay').textContent();
    expect(overlay).toContain(`decoder     ${decoder}`);
    expect(overlay).toContain('resolution  640×360');
    expect(overlay).toContain('connection  playing, 0 reconnects');
    expect(overlay).toMatch(/bitrate {5}\d+\.\d\d Mbit\/s/);
    expect(overlay).toMatch(/displayed {3}\d+ ms \(p50 \d+, p95 \d+\)/);
    await page.close();
  });

  it('shows a late joiner a picture at once', async () => {
    const page = await openViewer(decoder);
    await waitForShown(page, 0);
    const s = await viewerStats(page);
    expect(s.firstFrameMs).not.toBeNull();
    expect((await pictureLuma(page)).stddev).toBeGreaterThan(20);
    h.report(`${decoder}: late joiner's first frame shown ${ms(s.firstFrameMs)} after socket open`);
    await page.close();
  });

  it('reconnects and plays again after the streamer restarts', async () => {
    const page = await openViewer(decoder);
    await waitForShown(page, 10);
    let before = 0;
    await h.restartStreamer(async () => {
      await page.waitForFunction(() =>
        document.getElementById('overlay')?.textContent?.includes('reconnecting in'),
      );
      before = (await viewerStats(page)).framesShown;
    });
    await waitForShown(page, before + 30);
    const s = await viewerStats(page);
    expect(s).toMatchObject({ state: 'playing', reconnects: 1 });
    expect(await page.locator('#overlay').textContent()).toContain('playing, 1 reconnect');
    await page.close();
  });
});

it('picks WebCodecs when the URL names no decoder (Chromium has it)', async () => {
  const page = await openViewer('');
  await waitForShown(page, 0);
  expect((await viewerStats(page)).decoder).toBe('webcodecs');
  await page.close();
});

it('passes ?token= from its URL on; without it the streamer refuses and the overlay says so', async () => {
  const guarded = await startStreamerProcess(0, ['--token', 'open-sesame']);
  try {
    const page = await h.newPage();
    await page.goto(`${guarded.httpUrl}/?decoder=jmuxer&token=open-sesame`);
    await waitForShown(page, 30);
    // jmuxer also read the fps from /api/stream, which wants the token too
    expect((await viewerStats(page)).lastError).toBeNull();

    const refused = await h.newPage();
    await refused.goto(`${guarded.httpUrl}/?decoder=webcodecs`);
    await refused.waitForFunction(() =>
      document.getElementById('overlay')?.textContent?.includes('reconnecting in'),
    );
    const s = await viewerStats(refused);
    expect(s.framesReceived).toBe(0);
    expect(s.lastError).toMatch(/^websocket 127\.0\.0\.1:\d+: /);
    await page.close();
    await refused.close();
  } finally {
    await guarded.stop();
  }
});

it('plays channel 1 of a streamer with channels (?channel=1) and offers the others in a selector', async () => {
  const two = await startStreamerProcess(0, ['--channels', '640x360@30,320x180@30,160x160@15:rgb']);
  try {
    const page = await h.newPage();
    await page.goto(`${two.httpUrl}/?decoder=webcodecs&channel=1`);
    await waitForShown(page, 30);
    expect(await viewerStats(page)).toMatchObject({ width: 320, height: 180, lastError: null });
    // The raw channel is not playable in a browser: only the two H.264 channels are offered.
    const options = await page.locator('#channel option').allTextContents();
    expect(options).toEqual(['0: H.264 640x360 @ 30', '1: H.264 320x180 @ 30']);
    expect(await page.locator('#channel').inputValue()).toBe('1');
    await page.close();
  } finally {
    await two.stop();
  }
});
