import type { BrowserContext } from 'playwright-core';

export interface Chromium {
  context: BrowserContext;
  /** Closes the browser and removes its profile directory. */
  close(): Promise<void>;
}

/** Headless /usr/bin/chromium (software decoding, no sandbox: it runs as root here). */
export function launchChromium(): Promise<Chromium>;
