// Where the streamer's memory goes: runs the built streamer in a child process (with the given
// node flags), opens N WebSocket clients from this process, and after a warm-up samples the
// child's RSS every second; at the end prints the largest sample and the child's own breakdown
// (/proc/self/smaps_rollup, process.memoryUsage(), V8 heap spaces).
//
//   node apps/streamer/scripts/memory.mjs [--clients 100] [--seconds 10] [--node-flag F]...
//        [streamer flags, e.g. --source test --width 1920 --height 1080]
// Build first: pnpm exec turbo run build --filter=@cam/streamer...
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getHeapSpaceStatistics } from 'node:v8';
import WebSocket from 'ws';

const MB = 1024 * 1024;
const WARMUP_MS = 3000;
const mb = (bytes) => Math.round((bytes / MB) * 10) / 10;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The child's view of itself, in MB. */
function breakdown() {
  const rollup = Object.fromEntries(
    readFileSync('/proc/self/smaps_rollup', 'utf8')
      .split('\n')
      .map((l) => /^(\w+):\s+(\d+) kB/.exec(l))
      .filter(Boolean)
      .map((m) => [m[1], mb(Number(m[2]) * 1024)]),
  );
  const usage = Object.fromEntries(
    Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]),
  );
  const heap = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.physical_space_size)]),
  );
  const smaps = readFileSync('/proc/self/smaps', 'utf8');
  // Resident memory per mapping kind: the shm ring and uws/OpenH264 show up by name.
  const byFile = {};
  let name = '';
  for (const line of smaps.split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) name = head[1] || '[anon]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) byFile[name] = (byFile[name] ?? 0) + Number(rss[1]) * 1024;
  }
  const top = Object.entries(byFile)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([k, v]) => [k.replace(/.*node_modules\//, ''), mb(v)]);
  return {
    // Shared_Clean is mostly the node binary's own pages: page cache the kernel can drop.
    rollup: { Rss: rollup.Rss, Shared_Clean: rollup.Shared_Clean, Anonymous: rollup.Anonymous },
    usage,
    heap,
    top,
  };
}

async function server(argv) {
  const { parseCli, startStreamer } = await import('../dist/index.js');
  const parsed = parseCli(argv, {});
  const streamer = await startStreamer({ ...parsed.config, port: 0, host: '127.0.0.1' });
  process.on('message', async (msg) => {
    if (msg === 'rss') process.send({ rss: process.memoryUsage.rss() });
    if (msg === 'breakdown') process.send({ breakdown: breakdown(), info: streamer.cameraInfo });
    if (msg === 'stop') {
      await streamer.stop('memory run over');
      process.exit(0);
    }
  });
  process.send({ port: streamer.port, implementation: streamer.implementation });
}

async function driver(argv) {
  let clients = 100;
  let seconds = 10;
  const nodeFlags = [];
  const streamerFlags = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--clients') clients = Number(argv[++i]);
    else if (argv[i] === '--seconds') seconds = Number(argv[++i]);
    else if (argv[i] === '--node-flag') nodeFlags.push(argv[++i]);
    else streamerFlags.push(argv[i]);
  }
  const child = fork(
    fileURLToPath(import.meta.url),
    ['server', '--log-level', 'warn', ...streamerFlags],
    {
      execArgv: nodeFlags,
    },
  );
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const { port, implementation } = await next();
  const sockets = [];
  let received = 0;
  for (let i = 0; i < clients; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('message', () => received++);
    sockets.push(
      new Promise((resolve, reject) => ws.once('open', () => resolve(ws)).once('error', reject)),
    );
  }
  const open = await Promise.all(sockets);
  await sleep(WARMUP_MS);
  let max = 0;
  for (let s = 0; s < seconds; s++) {
    child.send('rss');
    max = Math.max(max, (await next()).rss);
    await sleep(1000);
  }
  child.send('breakdown');
  const { breakdown: b, info } = await next();
  console.log(
    JSON.stringify(
      {
        clients,
        implementation,
        source: `${info.source} ${info.width}x${info.height}@${info.fps} ${info.encoder}`,
        nodeFlags,
        streamerFlags,
        rssMaxMB: mb(max),
        messagesPerClientPerS: Math.round(received / clients / (seconds + WARMUP_MS / 1000)),
        ...b,
      },
      null,
      1,
    ),
  );
  for (const ws of open) ws.terminate();
  child.send('stop');
  await new Promise((resolve) => child.once('exit', resolve));
}

if (process.argv[2] === 'server') await server(process.argv.slice(3));
else await driver(process.argv.slice(2));
