// What a browser test file needs: tabs in the run's shared browsers (test/global-setup.ts; each
// file connects once, in a context of its own), the shared stream source, and a report printed
// after the file's tests.
import type { Page } from 'puppeteer-core';
import { afterAll, inject } from 'vitest';
import { type CamBrowser, connectBrowser, type Engine } from './browser';

export interface Harness {
  /** The run's shared streamer: play it, never stop it (a test that does starts its own). */
  readonly streamer: { httpUrl: string; wsUrl: string; port: number };
  /** A new tab of `engine`'s browser, 960x540 unless told. */
  newPage(engine: Engine, viewport?: { width: number; height: number }): Promise<Page>;
  /** Lines printed when the file's tests are done: measurements are reported, not asserted. */
  report(line: string): void;
}

export function useHarness(): Harness {
  const endpoints = inject('browserEndpoints');
  const browsers = new Map<Engine, Promise<CamBrowser>>();
  const lines: string[] = [];
  afterAll(async () => {
    for (const browser of browsers.values()) await (await browser).close();
    if (lines.length) console.log(`\n${lines.join('\n')}\n`);
  });
  return {
    streamer: inject('streamer'),
    async newPage(engine, viewport) {
      let browser = browsers.get(engine);
      if (!browser) {
        browser = connectBrowser(engine, endpoints[engine]);
        browsers.set(engine, browser);
      }
      const page = await (await browser).newPage(viewport);
      page.on('pageerror', (e) => lines.push(`${engine} page error: ${String(e)}`));
      return page;
    },
    report: (line) => lines.push(line),
  };
}

export function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${Math.round(v)} ms`;
}
