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
const STOP_TIMEOUT_MS = 5000;
// Firefox alone took 16 s to start on the busy 2-core machine, both browsers at once about 25 s;
// puppeteer's default (30 s) left no margin.
const LAUNCH_TIMEOUT_MS = 90_000;

/** `engine` with a fresh profile in a temporary directory. */
async function launch(engine) {
  const executablePath = EXECUTABLES[engine];
  if (!executablePath) throw new Error(`no such engine ${engine}: one of ${ENGINES.join(', ')}`);
  const profile = mkdtempSync(join(tmpdir(), `cam-${engine}-`));
  const common = {
    executablePath,
    headless: true,
    userDataDir: profile,
    defaultViewport: null,
    timeout: LAUNCH_TIMEOUT_MS,
  };
  const options =
    engine === 'chromium'
      ? {
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
        }
      : {
          ...common,
          browser: 'firefox',
          args: ['--width=960', '--height=540'],
          extraPrefsFirefox: {
            'media.autoplay.default': 0, // allow autoplay (muted video plays anyway)
            'media.autoplay.blocking_policy': 0,
            'browser.shell.checkDefaultBrowser': false,
          },
        };
  try {
    return { browser: await puppeteer.launch(options), profile };
  } catch (e) {
    rmSync(profile, { recursive: true, force: true }); // puppeteer has ended the browser
    throw e;
  }
}

/** A CamBrowser whose tabs open in `opener` (a browser or one of its contexts). */
function camBrowser(engine, browser, opener, close) {
  return {
    engine,
    browser,
    async newPage(viewport = { width: 960, height: 540 }) {
      const page = await opener.newPage();
      await page.setViewport(viewport);
      return page;
    },
    close,
  };
}

/** A browser of its own, with a fresh profile, removed again by close(). */
export async function launchBrowser(engine) {
  const { browser, profile } = await launch(engine);
  return camBrowser(engine, browser, browser, async () => {
    await browser.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  });
}

/**
 * A browser for a whole test run: each test file connects to it (connectBrowser) instead of
 * starting its own (Firefox takes 10-20 s to start on a busy machine). stop() ends it.
 */
export async function startSharedBrowser(engine) {
  const { browser, profile } = await launch(engine);
  const endpoint = browser.wsEndpoint();
  const child = browser.process();
  // Firefox serves one WebDriver BiDi session at a time: end ours, a test file starts its own.
  await browser.disconnect();
  return {
    engine,
    endpoint,
    async stop() {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        child.kill('SIGTERM');
        await exited;
        clearTimeout(timer);
      }
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The browser at `endpoint` (startSharedBrowser), its tabs in a context of their own (fresh
 * storage, closed with it): close() closes the context and disconnects; the browser runs on.
 */
export async function connectBrowser(engine, endpoint) {
  const browser = await puppeteer.connect({
    browserWSEndpoint: endpoint,
    defaultViewport: null,
    ...(engine === 'firefox' ? { protocol: 'webDriverBiDi' } : {}),
  });
  const context = await browser.createBrowserContext();
  return camBrowser(engine, browser, context, async () => {
    await context.close().catch(() => {});
    await browser.disconnect();
  });
}
