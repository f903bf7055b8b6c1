// Channels: CPU and RSS of the streamer serving one channel vs the seed's three (1920x1080@30,
// 1280x720@30, 640x480@15) from the `test` source, software-encoded here (OpenH264; on the
// reCamera the hardware encoder does this work, so these CPU figures are the dev machine's, not
// the board's). Each runs as `cam-streamer` (apps/streamer/dist/cli.js) in its own process, ws
// server, no clients, shm rings on; after a warm-up, CPU is utime + stime from /proc/PID/stat
// over the measured window (% of one core) and RSS the largest VmRSS sampled every 500 ms; frames
// per channel from /metrics. Runs alternate (one, three, one, three) so machine load hits both.
//
// Run: pnpm bench channels   (bench/run.mjs prints the table, writes bench/results/channels.json)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WARMUP_MS = 3000;
const MEASURE_MS = 6000;
const ROUNDS = 2;
const CLOCK_TICKS = 100; // USER_HZ on Linux
const ONE = '1920x1080@30';
const THREE = '1920x1080@30,1280x720@30,640x480@15';

const cli = fileURLToPath(new URL('../apps/streamer/dist/cli.js', import.meta.url));

function cpuTicks(pid) {
  // Fields after the ")" of the command name: utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function rssBytes(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? 0) * 1024;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts cam-streamer with `channels`, measures it, stops it. */
async function measure(channels, round) {
  const shmName = `/cam-bench-ch-${process.pid}-${round}`;
  const child = spawn(
    process.execPath,
    [
      cli,
      '--source',
      'test',
      '--channels',
      channels,
      '--port',
      '0',
      '--rtsp-port',
      'none',
      '--host',
      '127.0.0.1',
    ],
    {
      env: { ...process.env, CAM_SHM_NAME: shmName, CAM_SERVER: 'ws', CAM_LOG_JSON: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let port = 0;
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    const m = /"listen":"127\.0\.0\.1:(\d+)"/.exec(out);
    if (m) port = Number(m[1]);
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 1200 && port === 0; i++) await sleep(50); // 60 s: three encoders under load
  if (port === 0) {
    child.kill('SIGKILL');
    throw new Error(`cam-streamer --channels ${channels} did not start: ${out.slice(-400)}`);
  }
  await sleep(WARMUP_MS);
  const frames = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return [...text.matchAll(/^cam_channel_frames_total\{channel="(\d+)"\} (\d+)$/gm)].map((m) =>
      Number(m[2]),
    );
  };
  const before = await frames();
  const t0 = cpuTicks(child.pid);
  const started = Date.now();
  let rss = 0;
  while (Date.now() - started < MEASURE_MS) {
    rss = Math.max(rss, rssBytes(child.pid));
    await sleep(500);
  }
  const seconds = (Date.now() - started) / 1000;
  const cpu = ((cpuTicks(child.pid) - t0) / CLOCK_TICKS / seconds) * 100;
  const after = await frames();
  child.kill('SIGTERM');
  await exited;
  return { cpu, rss, fps: after.map((n, i) => (n - (before[i] ?? 0)) / seconds) };
}

export default {
  name: 'channels',
  async run(ctx) {
    const samples = { one: [], three: [] };
    for (let round = 0; round < ROUNDS; round++) {
      ctx.log(`round ${round + 1}/${ROUNDS}: one channel (${ONE})`);
      samples.one.push(await measure(ONE, `${round}a`));
      ctx.log(`round ${round + 1}/${ROUNDS}: three channels (${THREE})`);
      samples.three.push(await measure(THREE, `${round}b`));
    }
    const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
    const of = (runs, key) => median(runs.map((r) => r[key]));
    const fps = (runs, i) => median(runs.map((r) => r.fps[i] ?? 0));
    // CPU per capture (ms of CPU per channel-0 frame) holds when the machine cannot give the
    // streamer the cores for its full rate (then % of a core measures the scheduler, not us).
    const perCapture = (runs) =>
      median(runs.map((r) => (r.cpu * 10) / Math.max(r.fps[0] ?? 0, 0.1)));
    const rows = [
      {
        what: 'streamer CPU per capture (ms), 3 channels vs 1: scale + encode of every channel',
        ours: perCapture(samples.three),
        peer: perCapture(samples.one),
        peerName: '1 channel',
        unit: 'ms',
        target: 'measured',
      },
      {
        what: `streamer CPU, 3 channels (${THREE}) vs 1 (${ONE}), test source, software H.264`,
        ours: of(samples.three, 'cpu'),
        peer: of(samples.one, 'cpu'),
        peerName: '1 channel',
        unit: '% of a core',
        target: 'measured (the board encodes in hardware)',
      },
      {
        what: 'streamer RSS, 3 channels vs 1 (max sampled)',
        ours: of(samples.three, 'rss') / 2 ** 20,
        peer: of(samples.one, 'rss') / 2 ** 20,
        peerName: '1 channel',
        unit: 'MiB',
        target: '< 80 MB with clients (memory row)',
      },
      {
        what: `frames/s delivered, 3 channels: ${[0, 1, 2].map((i) => fps(samples.three, i).toFixed(1)).join(' / ')} (asked 30 / 30 / 15); 1 channel: ${fps(samples.one, 0).toFixed(1)}`,
        ours: fps(samples.three, 0),
        unit: 'fps',
        target: 'measured',
      },
    ];
    return { rows, samples };
  },
};
