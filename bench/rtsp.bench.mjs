// The RTSP target of DESIGN.md: 20 RTSP/TCP clients at 1080p30, our streamer next to
// GStreamer's RTSP server (gst-rtsp-server through python3-gi: appsrc ! h264parse !
// rtph264pay, one shared media), both serving the clip every fan-out bench replays
// (bench/fanout/clip.mjs: libx264 1080p30, ~4 Mbit/s, GOP 30), run in turn, twice (ABAB).
//
// Each server runs in its own process and takes one access unit every 1/30 s, stamping it with
// CLOCK_MONOTONIC at the hand-over: ours as the file camera hands it to the streamer
// (bench/rtsp/server-ours.mjs), GStreamer's as a Python thread pushes it into appsrc
// (bench/rtsp/peer-gst.py). Two load-generator processes open 10 clients each
// (bench/rtsp/load.mjs: DESCRIBE, SETUP RTP/AVP/TCP interleaved, PLAY) and stamp the last packet
// of each frame (marker bit) with the same clock. Server-added latency = that receive time −
// the hand-over time; frames are matched by RTP time: ours through the RTCP sender report
// (capture ms ↔ RTP time), GStreamer's by the RTP time the feeder computes from the running time
// it gives the buffer (timestamp-offset=0). It holds the kernel's loopback and the load
// generator's own scheduling: an upper bound, paid alike by both.
// Server CPU: utime + stime of the server process (/proc/PID/stat, every thread) over the
// measured window, per second of wall time. RSS: /proc/PID/status VmRSS sampled every 500 ms,
// the largest. 2 cores shared by server, load generators and the rest of the machine: the
// same-run ratio is the result.
//
// Run: node bench/run.mjs rtsp   (after a build; `pnpm bench rtsp` builds first)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { forkChild } from './fanout/child.mjs';
import { CLIP, ensureClip } from './fanout/clip.mjs';
import { histogram, summarize } from './fanout/stats.mjs';

const CLIENTS = 20;
const LOADERS = 2;
const WARMUP_S = 3;
const MEASURE_S = 8;
const ROUNDS = 2;
const SAMPLE_MS = 500;
const TICKS_PER_S = 100; // /proc/PID/stat clock ticks (USER_HZ)
const MB = 1e6;

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

function rssBytes(pid) {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

/** Our streamer as a forked child. */
async function startOurs(clip, port) {
  const child = forkChild(here('./rtsp/server-ours.mjs'), [clip, String(port)], 'ours');
  await child.wait('ready');
  return {
    pid: child.pid,
    url: `rtsp://127.0.0.1:${port}/ch0`,
    async stamps() {
      child.send('report');
      const { stamps } = await child.wait('report');
      return stamps;
    },
    close: () => child.close(),
  };
}

/** GStreamer's RTSP server (Debian's python3 with gi) as a child speaking JSON lines. */
async function startGst(clip, port) {
  const child = spawn('/usr/bin/python3', [here('./rtsp/peer-gst.py'), clip, String(port)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = [];
  const waiters = [];
  let buffer = '';
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      const line = JSON.parse(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
      const w = waiters.shift();
      if (w) w(line);
      else lines.push(line);
    }
  });
  const next = () =>
    new Promise((resolve, reject) => {
      if (lines.length) resolve(lines.shift());
      else waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`peer-gst.py exited ${code}`)));
    });
  await next();
  return {
    pid: child.pid,
    url: `rtsp://127.0.0.1:${port}/ch0`,
    async stamps() {
      child.stdin.write('report\n');
      return (await next()).stamps;
    },
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const SERVERS = { ours: ['ours', startOurs], gst: ["GStreamer's rtsp-server", startGst] };

/** ns from hand-over to receipt, per frame per client, matched by RTP time. */
function latencies(kind, frames, stamps) {
  const out = [];
  if (kind === 'ours') {
    const byMs = new Map(stamps);
    for (const [rtp, ns, srRtp, srNtpMs] of frames) {
      if (srRtp === null) continue;
      let ticks = (rtp - srRtp) >>> 0;
      if (ticks > 2 ** 31) ticks -= 2 ** 32;
      const sent = byMs.get(Math.round(srNtpMs + ticks / 90));
      if (sent) out.push((ns - sent) / 1000);
    }
  } else {
    const byRtp = new Map(stamps);
    for (const [rtp, ns] of frames) {
      const sent = byRtp.get(rtp);
      if (sent) out.push((ns - sent) / 1000);
    }
  }
  return out;
}

async function runOnce(kind, clip) {
  const port = await freePort();
  const server = await SERVERS[kind][1](clip, port);
  const loaders = [];
  try {
    for (let i = 0; i < LOADERS; i++) {
      const count = Math.floor(CLIENTS / LOADERS) + (i < CLIENTS % LOADERS ? 1 : 0);
      loaders.push(forkChild(here('./rtsp/load.mjs'), [server.url, String(count)], `load${i}`));
    }
    await Promise.all(loaders.map((l) => l.wait('ready', 60_000)));
    await sleep(WARMUP_S * 1000);
    for (const l of loaders) l.send('measure');
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    let rss = 0;
    while (performance.now() - t0 < MEASURE_S * 1000) {
      rss = Math.max(rss, rssBytes(server.pid));
      await sleep(SAMPLE_MS);
    }
    const cpu = (cpuSeconds(server.pid) - cpu0) / ((performance.now() - t0) / 1000);
    const reports = await Promise.all(
      loaders.map((l) => {
        l.send('report');
        return l.wait('report');
      }),
    );
    const frames = reports.flatMap((r) => r.frames);
    const lat = latencies(kind, frames, await server.stamps());
    return { cpu, rss, frames: frames.length, latencyUs: lat };
  } finally {
    await Promise.all(loaders.map((l) => l.close()));
    await server.close();
  }
}

export default {
  name: 'rtsp',
  async run(ctx) {
    const clip = await ensureClip();
    const runs = { ours: [], gst: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['ours', 'gst']) {
        ctx.log(`rtsp: ${kind}, round ${round + 1}/${ROUNDS}`);
        runs[kind].push(await runOnce(kind, clip));
      }
    }
    const sum = (kind) => {
      const r = runs[kind];
      const lat = summarize(r.flatMap((x) => x.latencyUs));
      const expected = CLIENTS * CLIP.fps * MEASURE_S * r.length;
      return {
        cpu: r.reduce((a, x) => a + x.cpu, 0) / r.length,
        rss: Math.max(...r.map((x) => x.rss)),
        lat,
        matched: lat.count / expected,
      };
    };
    const ours = sum('ours');
    const gst = sum('gst');
    const peerName = SERVERS.gst[0];
    const what = `RTSP ${CLIENTS} TCP clients 1080p30`;
    for (const [name, s] of [
      ['ours', ours],
      ['gst', gst],
    ]) {
      ctx.log(
        `rtsp ${name}: ${s.lat.count} frames matched (${(s.matched * 100).toFixed(0)}% of 30 fps × clients × window)`,
      );
    }
    // One row per figure, ours beside the peer's; `target` rows must beat the peer.
    const row = (figure, unit, of, target = true) => ({
      what: `${what}: ${figure}`,
      ours: of(ours),
      peer: of(gst),
      peerName,
      unit,
      ...(target ? { target: '< peer', limit: 1 } : {}),
    });
    return {
      rows: [
        row('server CPU per second of stream', '% core', (s) => s.cpu * 100),
        row('server-added latency p50', 'ms', (s) => s.lat.p50 / 1000),
        row('server-added latency p99', 'ms', (s) => s.lat.p99 / 1000),
        row('server RSS', 'MB', (s) => s.rss / MB, false),
      ],
      samples: Object.fromEntries(
        Object.entries(runs).map(([kind, r]) => [
          kind,
          r.map((x) => ({
            cpu: x.cpu,
            rss: x.rss,
            frames: x.frames,
            latencyUs: histogram(x.latencyUs, 10),
          })),
        ]),
      ),
    };
  },
};
