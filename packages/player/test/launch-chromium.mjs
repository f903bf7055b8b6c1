// Debian's Chromium, headless, driven by playwright-core: the browser the viewer is tested and
// benchmarked in. Plain JavaScript (types in launch-chromium.d.mts) so that the TypeScript tests
// and the benchmarks in bench/ (plain Node) start it the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** A fresh profile in a temporary directory, removed again by close(). */
export async function launchChromium() {
  const profile = mkdtempSync(join(tmpdir(), 'cam-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 960, height: 540 },
    args: [
      '--no-sandbox', // Chromium refuses to start as root otherwise
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
