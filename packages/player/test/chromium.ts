// Helpers for the viewer in Debian's headless Chromium; the launcher itself is plain JavaScript
// (launch-chromium.mjs), shared with the benchmarks in bench/.
import type { Page } from 'playwright-core';
import type { PlayerStats } from '../src/index';

export { type Chromium, launchChromium } from './launch-chromium.mjs';

/** The viewer page's player stats (window.camPlayer, set by the viewer). */
export function viewerStats(page: Page): Promise<PlayerStats> {
  return page.evaluate(() => {
    if (!window.camPlayer) throw new Error('the viewer page has no player');
    return window.camPlayer.stats();
  });
}

/** Waits (bounded) until the player has shown more than `frames` frames in total. */
export async function waitForShown(page: Page, frames: number, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction((n) => (window.camPlayer?.stats().framesShown ?? 0) > n, frames, {
    timeout: timeoutMs,
    polling: 50,
  });
}

/**
 * Mean and standard deviation of the luma of what the element `id` shows right now: a black or
 * flat picture has a tiny deviation; a test pattern has a large one.
 */
export function pictureLuma(page: Page, id = 'picture'): Promise<{ mean: number; stddev: number }> {
  return page.evaluate((elementId) => {
    const el = document.getElementById(elementId) as HTMLCanvasElement | HTMLVideoElement;
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
  }, id);
}
