import type { Browser, Page } from 'puppeteer-core';

export type Engine = 'chromium' | 'firefox';

export const ENGINES: readonly Engine[];

export interface CamBrowser {
  engine: Engine;
  browser: Browser;
  /** A new tab with this viewport (default 960x540). */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** launchBrowser: closes the browser and removes its profile; connectBrowser: closes the tabs and disconnects. */
  close(): Promise<void>;
}

export interface SharedBrowser {
  engine: Engine;
  /** For connectBrowser. */
  endpoint: string;
  /** Ends the browser and removes its profile directory. */
  stop(): Promise<void>;
}

/** Headless /usr/bin/chromium (software decoding, no sandbox: it runs as root here) or /usr/bin/firefox-esr. */
export function launchBrowser(engine: Engine): Promise<CamBrowser>;

/** A browser for a whole test run, which test files connect to. */
export function startSharedBrowser(engine: Engine): Promise<SharedBrowser>;

/** The shared browser at `endpoint`, with tabs in a context of their own. */
export function connectBrowser(engine: Engine, endpoint: string): Promise<CamBrowser>;
