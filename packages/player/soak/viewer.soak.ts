// Both decode paths play the real streamer for CAM_SOAK_MINUTES (default 10) in headless
// Chromium (puppeteer-core). Every 10 s it samples each page; it fails on a stall (a 10 s window showing under
// half the frames sent), a reconnect, latency that grows (last minute's median more than
// 50 ms above the first minute's), or an MSE buffer that keeps growing.
import { percentile } from '@cam/protocol';
import type { Page } from 'puppeteer-core';
import { expect, it } from 'vitest';
import type { PlayerStats } from '../src/index';
import { viewerStats, waitForShown } from '../test/browser';
import { ms, useHarness } from '../test/harness';

const MINUTES = Number(process.env.CAM_SOAK_MINUTES ?? 10);
const SAMPLE_MS = 10_000;
const FPS = 30;

const h = useHarness();

interface Sample {
  atS: number;
  shown: number; // frames shown in the window
  p50: number | null;
  p95: number | null;
  buffered: number | null;
  heapMb: number;
  stats: PlayerStats;
}

async function sample(page: Page, previous: PlayerStats | null, atS: number): Promise<Sample> {
  const stats = await viewerStats(page);
  const heap = (await page.evaluate(
    '(performance.memory && performance.memory.usedJSHeapSize) || 0',
  )) as number;
  return {
    atS,
    shown: stats.framesShown - (previous?.framesShown ?? 0),
    p50: stats.displayLatencyMs.p50,
    p95: stats.displayLatencyMs.p95,
    buffered: stats.bufferedSeconds,
    heapMb: heap / 2 ** 20,
    stats,
  };
}

function median(values: number[]): number {
  return (
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    ) ?? Number.NaN
  );
}

it(`plays ${MINUTES} minutes through both decode paths without stalls or growing latency`, async () => {
  const pages: Record<string, Page> = {};
  for (const decoder of ['webcodecs', 'jmuxer']) {
    const page = await h.newPage('chromium');
    await page.goto(`${h.streamer.httpUrl}/?decoder=${decoder}`);
    await waitForShown(page, 30);
    pages[decoder] = page;
  }
  const samples: Record<string, Sample[]> = { webcodecs: [], jmuxer: [] };
  const start = Date.now();
  const rounds = Math.round((MINUTES * 60_000) / SAMPLE_MS);
  for (let round = 1; round <= rounds; round++) {
    await new Promise((r) => setTimeout(r, start + round * SAMPLE_MS - Date.now()));
    for (const [decoder, page] of Object.entries(pages)) {
      const list = samples[decoder] as Sample[];
      const s = await sample(page, list.at(-1)?.stats ?? null, round * (SAMPLE_MS / 1000));
      list.push(s);
      console.log(
        // as it goes, so a long run shows its progress
        `${decoder.padEnd(9)} t=${String(s.atS).padStart(4)} s  shown ${String(s.shown).padStart(3)}  capture→shown p50 ${ms(s.p50)} p95 ${ms(s.p95)}  buffer ${s.buffered === null ? '–' : `${s.buffered.toFixed(1)} s`}  heap ${s.heapMb.toFixed(1)} MB  dropped ${s.stats.framesDropped}`,
      );
    }
  }

  const perMinute = 60_000 / SAMPLE_MS;
  for (const [decoder, list] of Object.entries(samples)) {
    const last = list.at(-1) as Sample;
    expect(last.stats.reconnects, `${decoder} reconnected`).toBe(0);
    for (const s of list) {
      expect(s.shown, `${decoder} stalled at ${s.atS} s`).toBeGreaterThan((FPS * SAMPLE_MS) / 2000);
    }
    const first = median(list.slice(0, perMinute).map((s) => s.p50 ?? Number.NaN));
    const end = median(list.slice(-perMinute).map((s) => s.p50 ?? Number.NaN));
    h.report(`${decoder}: median capture→shown first minute ${ms(first)}, last minute ${ms(end)}`);
    expect(end, `${decoder} latency grew`).toBeLessThan(first + 50);
    if (last.buffered !== null) expect(last.buffered, `${decoder} MSE buffer`).toBeLessThan(60);
  }
});
