// The server under test, in its own process (forked by fanout.bench.mjs with an IPC channel):
//   argv: kind clipPath [floorBinary framesPath]
//   kind = streamer-uws | streamer-ws | peer-ws | c-floor
// c-floor runs bench/c/fanout_floor.c as a child and relays: its CPU, stamps and RSS are its
// own (this relay idles while the window runs and is not counted).
// It stamps each frame with process.hrtime as the camera hands it over (before the server
// frames and sends it), keyed by the frame's capture time in ms: the value every client reads
// back from the message trailer. It measures its own CPU (process.cpuUsage) and samples RSS and
// the deepest client queue while measuring.
//   parent → child: {type:'measure'}, {type:'report'}, {type:'close'}
//   child → parent: {type:'ready', port, implementation, rssIdleBytes}, {type:'report', ...}
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CLIP } from './clip.mjs';
import { workspace } from './deps.mjs';

const SAMPLE_EVERY_MS = 500;
const [kind, clipPath, floorBinary, framesPath] = process.argv.slice(2);

let publish = new Map();
let maxMessageBytes = 0;
let measuring = false;
/** `frame`: { timestampMs, bytes } of the access unit, as the camera hands it over. */
const stamp = (frame) => {
  const now = process.hrtime.bigint();
  if (!measuring) return;
  maxMessageBytes = Math.max(maxMessageBytes, frame.bytes + 8);
  // Two frames in one ms would make the key ambiguous: both are dropped from the join.
  publish.set(frame.timestampMs, publish.has(frame.timestampMs) ? null : Number(now));
};

async function startStreamer(server) {
  const { createStreamer } = await workspace('apps/streamer');
  const streamer = createStreamer({
    source: `file:${clipPath}`,
    fps: CLIP.fps,
    server,
    host: '127.0.0.1',
    port: 0,
    rtspPort: 0, // WebSocket only: the RTSP side has its own bench (bench/rtsp.bench.mjs)
    // As shipped, ring on (its pages count in RSS), under a name no other run uses; the peer has
    // no ring, so ours pays one extra copy per frame.
    shmName: `/cam-bench-fanout-${process.pid}`,
    maxClients: 1000,
    logLevel: 'warn',
  });
  // 'frame' fires as the camera hands a frame over, before the streamer publishes and sends it.
  streamer.on('frame', stamp);
  await streamer.start();
  const gauge = (name) => {
    const line = streamer.metrics
      .render()
      .split('\n')
      .find((l) => l.startsWith(`${name} `));
    return Number(line?.split(' ')[1] ?? Number.NaN);
  };
  return {
    port: streamer.port,
    implementation: streamer.implementation,
    clients: () => streamer.clients,
    maxBufferedBytes: () => gauge('cam_client_buffered_bytes_max'),
    stalledCuts: () => streamer.metrics.disconnects.get('stalled'),
    close: () => streamer.stop('bench over'),
  };
}

async function startPlainWs() {
  // Imported only here, so the streamer's process holds nothing of the peer (RSS is measured).
  const { startPeer } = await import('./peer-ws.mjs');
  return {
    ...(await startPeer(clipPath, CLIP.fps, stamp)),
    implementation: 'ws (plain broadcast)',
  };
}

/** The C floor: measures itself (getrusage, CLOCK_MONOTONIC stamps, RSS) on our request. */
async function startFloor() {
  const child = spawn(floorBinary, [framesPath, String(CLIP.fps)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) =>
    waiting.shift()?.(JSON.parse(line)),
  );
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const ready = await Promise.race([
    next(),
    exited.then((code) => {
      throw new Error(`fanout_floor exited (${code}) before it was ready`);
    }),
  ]);
  let clients = 0;
  return {
    port: ready.port,
    rssIdleBytes: ready.rss,
    implementation: 'C floor (epoll, one writev per client-frame)',
    clients: () => clients,
    maxBufferedBytes: () => 0,
    stalledCuts: () => 0,
    measure() {
      child.stdin.write('measure\n');
    },
    async report() {
      child.stdin.write('report\n');
      const r = await next();
      clients = r.clients;
      const publish = new Map();
      for (const [ms, ns] of r.publish) publish.set(ms, publish.has(ms) ? null : ns);
      return { ...r, publish: [...publish], buffered: r.rss.map(() => 0) };
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

const server =
  kind === 'c-floor'
    ? await startFloor()
    : kind === 'peer-ws'
      ? await startPlainWs()
      : await startStreamer(kind === 'streamer-uws' ? 'uws' : 'ws');

let cpuStart;
let wallStart;
let rss = [];
let buffered = [];
const sampler = setInterval(() => {
  if (!measuring) return;
  rss.push(process.memoryUsage.rss());
  buffered.push(server.maxBufferedBytes());
}, SAMPLE_EVERY_MS);

// Exits once the channel closes: after 'close', and when the benchmark died or was killed.
process.on('disconnect', () => process.exit(0));
process.on('message', async (msg) => {
  if (server.measure && msg.type === 'measure') {
    server.measure();
  } else if (server.report && msg.type === 'report') {
    process.send({ type: 'report', ...(await server.report()), stalledCuts: 0 });
  } else if (msg.type === 'measure') {
    publish = new Map();
    maxMessageBytes = 0;
    rss = [];
    buffered = [];
    measuring = true;
    cpuStart = process.cpuUsage();
    wallStart = process.hrtime.bigint();
  } else if (msg.type === 'report') {
    measuring = false;
    const cpu = process.cpuUsage(cpuStart);
    process.send({
      type: 'report',
      cpuUserUs: cpu.user,
      cpuSystemUs: cpu.system,
      wallUs: Number(process.hrtime.bigint() - wallStart) / 1000,
      publish: [...publish],
      maxMessageBytes,
      rss,
      buffered,
      clients: server.clients(),
      stalledCuts: server.stalledCuts(),
    });
  } else if (msg.type === 'close') {
    clearInterval(sampler);
    await server.close();
    process.disconnect();
  }
});
// RSS before any client: what the process costs before the fan-out does.
process.send({
  type: 'ready',
  port: server.port,
  implementation: server.implementation,
  rssIdleBytes: server.rssIdleBytes ?? process.memoryUsage.rss(),
});
