#!/usr/bin/env node
// The viewer page's screenshots in the README (docs/img/viewer*.png): desktop and phone,
// playing and each problem it can show, in headless Chromium against the real `cam-streamer`.
// Run after a build: node packages/player/scripts/screenshots.mjs
import { fileURLToPath } from 'node:url';
import { startStreamerCli } from '../../../bench/viewer/processes.mjs';
import { launchBrowser } from '../test/launch-browser.mjs';

const out = (name) => fileURLToPath(new URL(`../../../docs/img/${name}.png`, import.meta.url));
const STREAM = { width: 1280, height: 720, fps: 30, gop: 30, bitrateKbps: 2000 };
const DESKTOP = { width: 1280, height: 720 };
const PHONE = { width: 390, height: 844 };
const TOKEN = 'open-sesame';

const browser = await launchBrowser('chromium');
const streamers = [];
const start = async (args) => {
  const s = await startStreamerCli(STREAM, args);
  streamers.push(s);
  return { ...s, url: `http://127.0.0.1:${s.port}/` };
};

/** Opens `url` in a tab of `viewport`, waits until `ready` is true in the page, saves `name`. */
async function shoot(name, viewport, url, ready, setup = async () => {}) {
  const page = await browser.newPage(viewport);
  await setup(page);
  await page.goto(url);
  await page.waitForFunction(ready, { timeout: 30_000, polling: 100 });
  await new Promise((resolve) => setTimeout(resolve, 700)); // a stats refresh
  await page.screenshot({ path: out(name) });
  console.log(`wrote ${out(name)}`);
  return page;
}

const playing = () => (window.camPlayer?.stats().framesShown ?? 0) > 20;
const problem = (code) => `window.camPlayer?.stats().problem?.code === '${code}'`;

try {
  const open = await start([]);
  await (await shoot('viewer', DESKTOP, open.url, playing)).close();
  const details = await shoot('viewer-details', DESKTOP, open.url, playing);
  await details.keyboard.press('i');
  await new Promise((resolve) => setTimeout(resolve, 700));
  await details.screenshot({ path: out('viewer-details') });
  await details.close();
  await (await shoot('viewer-phone', PHONE, open.url, playing)).close();
  await (
    await shoot('viewer-unsupported', DESKTOP, open.url, problem('UNSUPPORTED'), (page) =>
      page.evaluateOnNewDocument('delete window.VideoDecoder; delete window.MediaSource;'),
    )
  ).close();

  const guarded = await start(['--token', TOKEN]);
  for (const [name, viewport] of [
    ['viewer-token', DESKTOP],
    ['viewer-phone-token', PHONE],
  ]) {
    await (await shoot(name, viewport, guarded.url, problem('TOKEN'))).close();
  }
  await (
    await shoot('viewer-wrong-token', DESKTOP, `${guarded.url}?token=wrong-one`, problem('TOKEN'))
  ).close();

  // Playing, then the streamer stops (1001), or vanishes.
  const stopping = await start([]);
  const stopped = [
    ['viewer-stopped', await shoot('viewer-stopped', DESKTOP, stopping.url, playing)],
    ['viewer-phone-stopped', await shoot('viewer-phone-stopped', PHONE, stopping.url, playing)],
  ];
  await stopping.stop();
  for (const [name, page] of stopped) {
    await page.waitForFunction(problem('STOPPED'), { timeout: 10_000 });
    await page.screenshot({ path: out(name) });
    await page.close();
  }
  const vanishing = await start([]);
  const gone = await shoot('viewer-unreachable', DESKTOP, vanishing.url, playing);
  vanishing.kill();
  await gone.waitForFunction(`${problem('UNREACHABLE')} && window.camPlayer.stats().attempt >= 3`, {
    timeout: 20_000,
  });
  await gone.screenshot({ path: out('viewer-unreachable') });
} finally {
  await browser.close();
  for (const s of streamers) await s.stop();
}
