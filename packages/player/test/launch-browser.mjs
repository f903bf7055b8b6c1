// Debian's browsers, headless, driven by puppeteer-core: Chromium over CDP and Firefox ESR over
// WebDriver BiDi. These are the engines the viewer is tested and benchmarked in; puppeteer-core
// never downloads a browser of its own. Plain JavaScript (types in launch-browser.d.mts) so that
// the TypeScript tests and the benchmarks in bench/ (plain Node) start them the same way.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';

export const ENGINES = ['chromium', 'firefox'];

const EXECUTABLES = { chromium: '/usr/bin/chromium', firefox: '/usr/bin/firefox-esr' };

/** A fresh profile in a temporary directory, removed again by close(). */
export async function launchBrowser(engine) {
  const executablePath = EXECUTABLES[engine];
  if (!executablePath) throw new Error(`no such engine ${engine}: one of ${ENGINES.join(', ')}`);
  const profile = mkdtempSync(join(tmpdir(), `cam-${engine}-`));
  const common = { executablePath, headless: true, userDataDir: profile, defaultViewport: null };
  const browser =
    engine === 'chromium'
      ? await puppeteer.launch({
          ...common,
          browser: 'chrome',
          args: [
            '--no-sandbox', // Chromium refuses to start as root otherwise
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--disable-quic',
            '--no-first-run',
            '--autoplay-policy=no-user-gesture-required',
            '--window-size=960,540',
          ],
        })
      : await puppeteer.launch({
          ...common,
          browser: 'firefox',
          args: ['--width=960', '--height=540'],
          extraPrefsFirefox: {
            'media.autoplay.default': 0, // allow autoplay (muted video plays anyway)
            'media.autoplay.blocking_policy': 0,
            'browser.shell.checkDefaultBrowser': false,
          },
        });
  return {
    engine,
    browser,
    /** A new tab, with a viewport of this size. */
    async newPage(viewport = { width: 960, height: 540 }) {
      const page = await browser.newPage();
      await page.setViewport(viewport);
      return page;
    },
    close: async () => {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
