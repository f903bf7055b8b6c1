import type { Browser, Page } from 'puppeteer-core';

export type Engine = 'chromium' | 'firefox';

export const ENGINES: readonly Engine[];

export interface CamBrowser {
  engine: Engine;
  browser: Browser;
  /** A new tab with this viewport (default 960x540). */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Headless /usr/bin/chromium (software decoding, no sandbox: it runs as root here) or /usr/bin/firefox-esr. */
export function launchBrowser(engine: Engine): Promise<CamBrowser>;
