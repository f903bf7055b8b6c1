// Benchmarks 6 (new viewer) and 7 (display latency) of issue 8, in Debian's headless Chromium,
// and the slow client of issue 16: Chromium with its CPU throttled, and Firefox ESR.
//
// Ours: the real `cam-streamer` CLI as a user starts it on a machine without a camera: the test
// source (pattern drawn and encoded by OpenH264, 1080p30, 4 Mbit/s, GOP 30), uWebSockets.js,
// join policy auto (= a fresh IDR asked of the camera for each joiner), serving its viewer page
// (@cam/player's dist/viewer), opened as / (the decoder the player picks: WebCodecs into a
// <video> through a track generator in Chromium, jmuxer in Firefox), /?decoder=webcodecs and
// /?decoder=jmuxer.
// Peer: the seed's player (bench/viewer/seed.html: jmuxer with the Supervisor UI's settings,
// fed whole messages, trailer included).
//
// 6. New viewer: socket open → first frame shown (the player's stats().firstFrameMs; the same
//    measure in the seed page). Each sample is a fresh page; the pages take turns, and a random
//    pause of up to one GOP between joins spreads them over the GOP. The peer joins a plain
//    broadcast server (bench/fanout/peer-ws.mjs replaying the bench clip, GOP 30 too: as the
//    seed's server, nothing for a late joiner), so it waits for the next IDR.
// 7. Display latency: capture time (the trailer: the test camera's clock when it draws the
//    picture, before encoding) → the frame on screen (WebCodecs: drawn to the canvas; jmuxer:
//    requestVideoFrameCallback's expectedDisplayTime), both wall clocks of one machine. One
//    page at a time plays for WARMUP_S, then every frame shown is recorded for MEASURE_S (the
//    three pages take turns, ROUNDS times, samples pooled, so machine noise hits all): ours
//    from the page's stats().displayLatencyMs.last each time framesShown grows by one (polled
//    every 5 ms in the page), the seed page from its own list. The peer plays our streamer too,
//    so only the player differs.
// 16. Slow client: one page at a time plays for SLOW_S (60 s) in Chromium with its CPU throttled
//    (DevTools Emulation.setCPUThrottlingRate, 4x and 6x: a phone or a cheap laptop), and in
//    Firefox ESR unthrottled. Every frame shown is recorded (capture → shown, polled in the page
//    as in 7); the result per page: p50/p95, the trend (least-squares slope over the run, ms per
//    minute: a player falling behind has a positive one), and frames received but never shown.
// Chromium decodes in software here (--disable-gpu, 2 cores shared with the encoder): a
// machine with a GPU decoder does better. Browsers are driven by puppeteer-core (Chromium over
// CDP, Firefox over WebDriver BiDi).
//
// Run: pnpm bench viewer   (bench/run.mjs prints the table and writes bench/results/viewer.json)
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../packages/player/test/launch-browser.mjs';
import { forkChild } from './fanout/child.mjs';
import { CLIP, ensureClip } from './fanout/clip.mjs';
import { histogram, percentile, summarize } from './fanout/stats.mjs';
import { serveSeedPage, startStreamerCli } from './viewer/processes.mjs';

const JOINS = 12; // per page kind
const FIRST_FRAME_TIMEOUT_MS = 10_000;
const WARMUP_S = 4;
const ROUNDS = 2;
const MEASURE_S = 6; // per round
const SLOW_S = Number(process.env.CAM_BENCH_SLOW_S ?? 60);
const SLOW_SETTINGS = [
  { engine: 'chromium', throttle: 4 },
  { engine: 'chromium', throttle: 6 },
  { engine: 'firefox', throttle: 1 },
];
const LIVE_BOUND_MS = 250; // the player's live-edge bound (see @cam/player's README)

const KINDS = {
  auto: 'ours, default decoder',
  webcodecs: 'ours, WebCodecs',
  jmuxer: 'ours, jmuxer',
  seed: 'seed page (jmuxer, Supervisor settings)',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Socket open → first frame shown (ms) in a fresh page at `url`. */
async function firstFrame(browser, kind, url) {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    const handle = await page
      .waitForFunction(
        (seed) => (seed ? window.seedBench?.firstFrameMs : window.camPlayer?.stats().firstFrameMs),
        { timeout: FIRST_FRAME_TIMEOUT_MS, polling: 5 },
        kind === 'seed',
      )
      .catch(async (err) => {
        const why = await page.evaluate(() => window.camPlayer?.stats().lastError ?? null);
        throw new Error(
          `viewer: ${url} showed no frame in ${FIRST_FRAME_TIMEOUT_MS} ms (player error: ${why}): ${err.message}`,
        );
      });
    return await handle.jsonValue();
  } finally {
    await page.close();
  }
}

/** Capture → shown (ms) of the frames shown in MEASURE_S after WARMUP_S, and how many were missed. */
async function displayLatency(browser, kind, url, measureS = MEASURE_S, throttle = 1) {
  const page = await browser.newPage();
  try {
    if (throttle > 1) await page.emulateCPUThrottling(throttle);
    await page.goto(url);
    await sleep(WARMUP_S * 1000);
    return await page.evaluate(
      async ({ seed, measureMs }) => {
        const start = performance.now();
        if (seed) {
          const bench = window.seedBench;
          const from = bench.displayLatencyMs.length;
          const received = bench.received;
          await new Promise((resolve) => setTimeout(resolve, measureMs));
          const samples = bench.displayLatencyMs.slice(from);
          return {
            samples,
            atS: bench.shownAtMs.slice(from).map((t) => (t - start) / 1000),
            unrecorded: 0,
            received: bench.received - received,
            notShown: bench.received - received - samples.length,
          };
        }
        const player = window.camPlayer;
        const samples = [];
        const atS = [];
        let unrecorded = 0; // frames shown twice between polls: their first latency is not seen
        const first = player.stats();
        let shown = first.framesShown;
        const end = start + measureMs;
        while (performance.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const s = player.stats();
          if (s.framesShown === shown) continue;
          unrecorded += s.framesShown - shown - 1;
          shown = s.framesShown;
          samples.push(s.displayLatencyMs.last);
          atS.push((performance.now() - start) / 1000);
        }
        const last = player.stats();
        const received = last.framesReceived - first.framesReceived;
        return {
          decoder: last.decoder,
          samples,
          atS,
          unrecorded,
          received,
          notShown: received - (last.framesShown - first.framesShown),
        };
      },
      { seed: kind === 'seed', measureMs: measureS * 1000 },
    );
  } finally {
    await page.close();
  }
}

export default {
  name: 'viewer',
  async run(ctx) {
    const clipPath = await ensureClip();
    const cleanup = []; // run in reverse on the way out, whatever happened
    try {
      const streamer = await startStreamerCli(CLIP);
      cleanup.push(() => streamer.stop());
      const peer = forkChild(
        fileURLToPath(new URL('./fanout/server.mjs', import.meta.url)),
        ['peer-ws', clipPath],
        'peer-ws',
      );
      cleanup.push(() => peer.close());
      const seedPage = await serveSeedPage();
      cleanup.push(() => seedPage.close());
      const chromium = await launchBrowser('chromium');
      cleanup.push(() => chromium.close());
      const { port: peerPort } = await peer.wait('ready');
      const ours = `http://127.0.0.1:${streamer.port}/`;
      const urls = {
        auto: ours,
        webcodecs: `${ours}?decoder=webcodecs`,
        jmuxer: `${ours}?decoder=jmuxer`,
        seedOnPeer: `${seedPage.url}?ws=ws://127.0.0.1:${peerPort}/`,
        seedOnOurs: `${seedPage.url}?ws=ws://127.0.0.1:${streamer.port}/`,
      };
      ctx.log(`viewer: ${JOINS} joins per page, ${streamer.implementation}, join ${streamer.join}`);
      const joins = { webcodecs: [], jmuxer: [], seed: [] };
      for (let i = 0; i < JOINS; i++) {
        for (const kind of Object.keys(joins)) {
          const url = kind === 'seed' ? urls.seedOnPeer : urls[kind];
          joins[kind].push(await firstFrame(chromium, kind, url));
          await sleep(Math.random() * (CLIP.gop / CLIP.fps) * 1000);
        }
      }
      const display = Object.fromEntries(
        Object.keys(KINDS).map((k) => [k, { samples: [], unrecorded: 0 }]),
      );
      for (let round = 1; round <= ROUNDS; round++) {
        for (const kind of Object.keys(KINDS)) {
          ctx.log(`viewer: display latency, ${KINDS[kind]}, round ${round}/${ROUNDS}`);
          const url = kind === 'seed' ? urls.seedOnOurs : urls[kind];
          const { samples, unrecorded } = await displayLatency(chromium, kind, url);
          display[kind].samples.push(...samples);
          display[kind].unrecorded += unrecorded;
        }
      }
      const slow = [];
      for (const setting of SLOW_SETTINGS) {
        const browser =
          setting.engine === 'chromium' ? chromium : await launchBrowser(setting.engine);
        for (const kind of Object.keys(KINDS)) {
          ctx.log(
            `viewer: slow client, ${setting.engine} ${setting.throttle}x CPU, ${KINDS[kind]}, ${SLOW_S} s`,
          );
          const url = kind === 'seed' ? urls.seedOnOurs : urls[kind];
          const run = await displayLatency(browser, kind, url, SLOW_S, setting.throttle);
          slow.push({ ...setting, kind, ...run });
        }
        if (browser !== chromium) await browser.close();
      }
      return result(joins, display, slow, streamer);
    } finally {
      for (const step of cleanup.reverse()) await step();
    }
  },
};

/** Least-squares slope of y over x (seconds), in units per minute; null under 2 points. */
function slopePerMinute(x, y) {
  const n = x.length;
  if (n < 2) return null;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  return sxx === 0 ? null : (sxy / sxx) * 60;
}

function slowSummary(run) {
  const sorted = Float64Array.from(run.samples).sort();
  return {
    engine: run.engine,
    throttle: run.throttle,
    kind: run.kind,
    decoder: run.decoder ?? null,
    shown: run.samples.length + run.unrecorded,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.length ? sorted[sorted.length - 1] : null,
    trendMsPerMin: slopePerMinute(run.atS, run.samples),
    received: run.received,
    notShown: run.notShown,
  };
}

function slowRows(slow) {
  const rows = [];
  const summaries = slow.map(slowSummary);
  for (const s of summaries.filter((x) => x.kind !== 'seed')) {
    const seed = summaries.find(
      (x) => x.kind === 'seed' && x.engine === s.engine && x.throttle === s.throttle,
    );
    const where = `${s.engine}${s.throttle > 1 ? ` ${s.throttle}x CPU` : ''}, ${KINDS[s.kind]}${s.kind === 'auto' ? ` (${s.decoder})` : ''}`;
    rows.push(
      {
        what: `slow client ${where}: capture → shown p50`,
        ours: s.p50,
        peer: seed?.p50,
        peerName: 'seed page',
        unit: 'ms',
        target: '—',
      },
      {
        what: `slow client ${where}: capture → shown p95`,
        ours: s.p95,
        peer: seed?.p95,
        peerName: 'seed page',
        unit: 'ms',
        target: `< ${LIVE_BOUND_MS} ms`,
        pass: s.p95 !== null && s.p95 < LIVE_BOUND_MS,
      },
      {
        what: `slow client ${where}: trend of capture → shown`,
        ours: s.trendMsPerMin,
        peer: seed?.trendMsPerMin,
        peerName: 'seed page',
        unit: 'ms/min',
        target: '≤ 10 ms/min (not growing)',
        noRatio: true,
        pass: s.trendMsPerMin !== null && s.trendMsPerMin <= 10,
      },
      {
        what: `slow client ${where}: frames received, not shown`,
        ours: s.received ? (100 * s.notShown) / s.received : null,
        peer: seed?.received ? (100 * seed.notShown) / seed.received : null,
        peerName: 'seed page',
        unit: '%',
        target: '—',
        noRatio: true,
      },
    );
  }
  return { rows, summaries };
}

function result(joins, display, slow, streamer) {
  const first = Object.fromEntries(Object.entries(joins).map(([k, v]) => [k, summarize(v)]));
  const shown = Object.fromEntries(
    Object.entries(display).map(([k, v]) => [k, summarize(v.samples)]),
  );
  const rows = [];
  for (const kind of ['webcodecs', 'jmuxer']) {
    rows.push({
      what: `new viewer: socket open → first frame p50, ${KINDS[kind]}`,
      ours: first[kind].p50,
      peer: first.seed.p50,
      peerName: 'seed page, plain server',
      unit: 'ms',
      target: '< 200 ms',
      pass: first[kind].p50 < 200,
    });
  }
  for (const [kind, limit] of [
    ['webcodecs', 50],
    ['jmuxer', 150],
  ]) {
    rows.push({
      what: `display latency: capture → shown p50, ${KINDS[kind]}`,
      ours: shown[kind].p50,
      peer: shown.seed.p50,
      peerName: 'seed page',
      unit: 'ms',
      target: `< ${limit} ms`,
      pass: shown[kind].p50 < limit,
    });
  }
  const slowClient = slowRows(slow);
  rows.push(...slowClient.rows);
  return {
    rows,
    samples: {
      method:
        'headless Chromium (/usr/bin/chromium, --disable-gpu) on 127.0.0.1; cam-streamer ' +
        `--source test ${CLIP.width}x${CLIP.height}p${CLIP.fps} GOP ${CLIP.gop} ` +
        `(${streamer.implementation}, join ${streamer.join}); peer page joins a plain ws ` +
        `server replaying a libx264 clip of the same size and GOP; ${JOINS} fresh pages per ` +
        `kind, joins spread over the GOP; display latency over ${ROUNDS} × ${MEASURE_S} s ` +
        `after ${WARMUP_S} s of play, one page at a time, pages in turn.`,
      firstFrameMs: { summary: first, samples: joins },
      displayLatencyMs: Object.fromEntries(
        Object.entries(display).map(([k, v]) => [
          k,
          { ...shown[k], unrecorded: v.unrecorded, histogram: histogram(v.samples, 1) },
        ]),
      ),
      slowClient: {
        method: `${SLOW_S} s per page after ${WARMUP_S} s of play, one page at a time; Chromium throttled with Emulation.setCPUThrottlingRate; trend = least-squares slope of capture → shown over the run`,
        summary: slowClient.summaries,
        histograms: slow.map((r) => ({
          engine: r.engine,
          throttle: r.throttle,
          kind: r.kind,
          histogram: histogram(r.samples, 5),
        })),
      },
    },
  };
}
