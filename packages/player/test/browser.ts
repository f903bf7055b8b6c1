// Helpers for the viewer in Debian's headless Chromium and Firefox ESR; the launcher itself is
// plain JavaScript (launch-browser.mjs), shared with the benchmarks in bench/.
import type { Page } from 'puppeteer-core';
import type { PlayerStats } from '../src/index';

export { type CamBrowser, connectBrowser, ENGINES, type Engine } from './launch-browser.mjs';

/** The page's player stats (window.camPlayer, set by the viewer). */
export function viewerStats(page: Page): Promise<PlayerStats> {
  return page.evaluate(() => {
    if (!window.camPlayer) throw new Error('the viewer page has no player');
    return window.camPlayer.stats();
  });
}

/** Waits (bounded) until the player has shown more than `frames` frames in total. */
export async function waitForShown(page: Page, frames: number, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    (n: number) => (window.camPlayer?.stats().framesShown ?? 0) > n,
    { timeout: timeoutMs, polling: 50 },
    frames,
  );
}

/** Waits (bounded) until the element `selector` contains `text`; returns its whole text. */
export async function waitForText(
  page: Page,
  selector: string,
  text: string | RegExp,
): Promise<string> {
  const source = text instanceof RegExp ? text.source : text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await page.waitForFunction(
    (sel: string, pattern: string) =>
      new RegExp(pattern).test(document.querySelector(sel)?.textContent ?? ''),
    { timeout: 20_000, polling: 50 },
    selector,
    source,
  );
  return page.$eval(selector, (el) => el.textContent ?? '');
}

/**
 * Mean and standard deviation of the luma of what the element `selector` shows right now: a
 * black or flat picture has a tiny deviation; a test pattern has a large one.
 */
export function pictureLuma(
  page: Page,
  selector = '.cam-picture',
): Promise<{ mean: number; stddev: number }> {
  return page.evaluate((sel: string) => {
    const el = document.querySelector(sel) as HTMLCanvasElement | HTMLVideoElement;
    const w = el instanceof HTMLVideoElement ? el.videoWidth : el.width;
    const h = el instanceof HTMLVideoElement ? el.videoHeight : el.height;
    const probe = document.createElement('canvas');
    probe.width = w;
    probe.height = h;
    const ctx = probe.getContext('2d', { willReadFrequently: true });
    if (!ctx || w === 0) throw new Error('nothing to measure: the picture has no size yet');
    ctx.drawImage(el, 0, 0);
    const px = ctx.getImageData(0, 0, w, h).data;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < px.length; i += 4) {
      const y = 0.299 * (px[i] ?? 0) + 0.587 * (px[i + 1] ?? 0) + 0.114 * (px[i + 2] ?? 0);
      sum += y;
      sumSq += y * y;
    }
    const n = px.length / 4;
    const mean = sum / n;
    return { mean, stddev: Math.sqrt(sumSq / n - mean * mean) };
  }, selector);
}

/**
 * The luma of the picture once it shows one with detail (a standard deviation over 20), after
 * at most 20 tries a few frames apart: a <video> that is seeking (a skip to the live edge) has
 * no current frame to draw for a moment. Returns the last measure either way.
 */
export async function detailedLuma(
  page: Page,
  selector = '.cam-picture',
): Promise<{ mean: number; stddev: number }> {
  let luma = await pictureLuma(page, selector);
  for (let i = 0; i < 20 && luma.stddev <= 20; i++) {
    await waitForShown(page, (await viewerStats(page)).framesShown + 3);
    luma = await pictureLuma(page, selector);
  }
  return luma;
}

/** Width and height from a PNG's IHDR, after checking its signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (!signature.every((b, i) => png[i] === b)) throw new Error('not a PNG: bad signature');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
