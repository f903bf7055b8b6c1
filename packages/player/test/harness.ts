// One real streamer process per test file, and one browser per engine (started when a test
// first asks for it), stopped after the file's tests.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll } from 'vitest';
import { type CamBrowser, type Engine, launchBrowser } from './browser';
import { type StreamerProcess, startStreamerProcess } from './streamer-process';

const viewerDir = fileURLToPath(new URL('../dist/viewer/', import.meta.url));

export interface Harness {
  readonly streamer: StreamerProcess;
  /** Stops the stream source, runs `whileDown`, and starts the source again on the same port. */
  restartStreamer(whileDown: () => Promise<void>): Promise<void>;
  /** A new tab of `engine`'s browser (launched once per file), 960x540 unless told. */
  newPage(engine: Engine, viewport?: { width: number; height: number }): Promise<Page>;
  /** Lines printed when the file's tests are done: measurements are reported, not asserted. */
  report(line: string): void;
}

export function useHarness(): Harness {
  let streamer: StreamerProcess | undefined;
  const browsers = new Map<Engine, Promise<CamBrowser>>();
  const lines: string[] = [];
  beforeAll(async () => {
    if (!existsSync(`${viewerDir}viewer.js`)) {
      throw new Error(`${viewerDir}viewer.js is missing: run \`pnpm --filter @cam/player build\``);
    }
    streamer = await startStreamerProcess();
  });
  afterAll(async () => {
    for (const browser of browsers.values()) await (await browser).close();
    await streamer?.stop();
    if (lines.length) console.log(`\n${lines.join('\n')}\n`);
  });
  const started = <T>(v: T | undefined): T => {
    if (!v) throw new Error('the harness has not started (beforeAll failed?)');
    return v;
  };
  return {
    get streamer() {
      return started(streamer);
    },
    async restartStreamer(whileDown) {
      const { port } = started(streamer);
      await started(streamer).stop();
      streamer = undefined;
      try {
        await whileDown();
      } finally {
        // Even when `whileDown` failed: the file's other tests need it.
        streamer = await startStreamerProcess(port);
      }
    },
    async newPage(engine, viewport) {
      let browser = browsers.get(engine);
      if (!browser) {
        browser = launchBrowser(engine);
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
