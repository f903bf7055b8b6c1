// One real streamer process and one Chromium per test file, started before its tests and stopped after.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { type Chromium, launchChromium } from './chromium';
import { type StreamerProcess, startStreamerProcess } from './streamer-process';

const viewerDir = fileURLToPath(new URL('../dist/viewer/', import.meta.url));

export interface Harness {
  readonly streamer: StreamerProcess;
  readonly browser: Chromium;
  /** Stops the stream source, runs `whileDown`, and starts the source again on the same port. */
  restartStreamer(whileDown: () => Promise<void>): Promise<void>;
  newPage(): Promise<Page>;
  /** Lines printed when the file's tests are done: measurements are reported, not asserted. */
  report(line: string): void;
}

export function useHarness(): Harness {
  let streamer: StreamerProcess | undefined;
  let browser: Chromium | undefined;
  const lines: string[] = [];
  beforeAll(async () => {
    if (!existsSync(`${viewerDir}viewer.js`)) {
      throw new Error(`${viewerDir}viewer.js is missing: run \`pnpm --filter @cam/player build\``);
    }
    streamer = await startStreamerProcess();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
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
    get browser() {
      return started(browser);
    },
    async restartStreamer(whileDown) {
      const { port } = started(streamer);
      await started(streamer).stop();
      streamer = undefined;
      await whileDown();
      streamer = await startStreamerProcess(port);
    },
    async newPage() {
      const page = await started(browser).context.newPage();
      page.on('pageerror', (e) => lines.push(`page error: ${e.message}`));
      return page;
    },
    report: (line) => lines.push(line),
  };
}

export function ms(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : `${Math.round(v)} ms`;
}
