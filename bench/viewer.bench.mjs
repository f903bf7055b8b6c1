// Benchmarks 6 (new viewer) and 7 (display latency) of issue 8, in Debian's headless Chromium.
//
// Ours: the real `cam-streamer` CLI as a user starts it on a machine without a camera: the test
// source (pattern drawn and encoded by OpenH264, 1080p30, 4 Mbit/s, GOP 30), uWebSockets.js,
// join policy auto (= a fresh IDR asked of the camera for each joiner), serving its viewer page
// (@cam/player's dist/viewer), opened as /?decoder=webcodecs and /?decoder=jmuxer.
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
// Chromium decodes in software here (--disable-gpu, 2 cores shared with the encoder): a
// machine with a GPU decoder does better.
//
// Run: pnpm bench viewer   (bench/run.mjs prints the table and writes bench/results/viewer.json)
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../packages/player/test/launch-chromium.mjs';
import { forkChild } from './fanout/child.mjs';
import { CLIP, ensureClip } from './fanout/clip.mjs';
import { histogram, summarize } from './fanout/stats.mjs';
import { serveSeedPage, startStreamerCli } from './viewer/processes.mjs';

const JOINS = 12; // per page kind
const FIRST_FRAME_TIMEOUT_MS = 10_000;
const WARMUP_S = 4;
const ROUNDS = 2;
const MEASURE_S = 6; // per round

const KINDS = {
  webcodecs: 'ours, WebCodecs',
  jmuxer: 'ours, jmuxer',
  seed: 'seed page (jmuxer, Supervisor settings)',
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Socket open → first frame shown (ms) in a fresh page at `url`. */
async function firstFrame(context, kind, url) {
  const page = await context.newPage();
  try {
    await page.goto(url);
    const handle = await page
      .waitForFunction(
        (seed) => (seed ? window.seedBench?.firstFrameMs : window.camPlayer?.stats().firstFrameMs),
        kind === 'seed',
        { timeout: FIRST_FRAME_TIMEOUT_MS, polling: 5 },
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
async function displayLatency(context, kind, url) {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await sleep(WARMUP_S * 1000);
    return await page.evaluate(
      async ({ seed, measureMs }) => {
        if (seed) {
          const bench = window.seedBench;
          const from = bench.displayLatencyMs.length;
          await new Promise((resolve) => setTimeout(resolve, measureMs));
          return { samples: bench.displayLatencyMs.slice(from), unrecorded: 0 };
        }
        const player = window.camPlayer;
        const samples = [];
        let unrecorded = 0; // frames shown twice between polls: their first latency is not seen
        let shown = player.stats().framesShown;
        const end = performance.now() + measureMs;
        while (performance.now() < end) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const s = player.stats();
          if (s.framesShown === shown) continue;
          unrecorded += s.framesShown - shown - 1;
          shown = s.framesShown;
          samples.push(s.displayLatencyMs.last);
        }
        return { samples, unrecorded };
      },
      { seed: kind === 'seed', measureMs: MEASURE_S * 1000 },
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
      const chromium = await launchChromium();
      cleanup.push(() => chromium.close());
      const { port: peerPort } = await peer.wait('ready');
      const ours = `http://127.0.0.1:${streamer.port}/`;
      const urls = {
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
          joins[kind].push(await firstFrame(chromium.context, kind, url));
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
          const { samples, unrecorded } = await displayLatency(chromium.context, kind, url);
          display[kind].samples.push(...samples);
          display[kind].unrecorded += unrecorded;
        }
      }
      return result(joins, display, streamer);
    } finally {
      for (const step of cleanup.reverse()) await step();
    }
  },
};

function result(joins, display, streamer) {
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
    },
  };
}
