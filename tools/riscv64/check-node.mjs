// The real cam-streamer in a riscv64 Node.js (Debian 13's Node 20, glibc) under
// qemu-riscv64-static: apps/streamer's built dist and the workspace packages, whose addons load
// from their prebuilds/linux-riscv64/*.glibc.node (made by tools/prebuild-all.sh). Three runs:
//   --jitless  --source test          (OpenH264 from the rootfs: trixie's 2.6)
//   --jitless  --source file:<fixture> (no encoder: what the board's Node does besides capture)
//   JIT        --source test
// Each run, from this machine: @cam/send's addon loads (the streamer logs no fallback to Node
// streams), a WebSocket client's frames decode with ffmpeg with no error, /healthz,
// /api/stream and /metrics answer, this machine's @cam/shm reader reads a keyframe from the
// ring the riscv64 writer fills, 10 clients all get frames, and SIGTERM stops the streamer
// with exit code 0. Prints, per run, EMULATED figures (qemu on this machine, not a board): start
// to listening, first frame, CPU % of one core with 10 clients, RSS of the qemu process.
//   node tools/riscv64/check-node.mjs    (after the build and bash tools/prebuild-all.sh)
// Needs qemu-user-static, ffmpeg, apt-get (the rootfs: tools/riscv64/rootfs.sh, cached).
// Not checked here: a real board (musl, the Sophgo camera: tools/check-riscv64.sh and the board).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(dirname(new URL(import.meta.url).pathname), '..', '..');
const began = performance.now();
const cli = join(root, 'apps/streamer/dist/cli.js');
const fixture = join(root, 'packages/protocol/test/fixtures/baseline-320x240.h264');
const WIDTH = 320;
const HEIGHT = 240;
/** Frames one client collects for ffmpeg to decode (about 1 s at 30 fps). */
const DECODE_FRAMES = 30;
const CLIENTS = 10;
/** How long the CPU use of the 10-client stream is sampled. */
const CPU_SAMPLE_MS = 3000;
/** Upper bound on a streamer's start under qemu on a busy 2-core machine (JIT: slowest). */
const START_TIMEOUT_MS = 240_000;
const FRAME_TIMEOUT_MS = 30_000;

const children = new Set();
/** Every ring (and alias) of this run's streamers starts so; a killed streamer leaves its own. */
const ringPrefix = `cam-riscv64-${process.pid}-`;
function cleanup() {
  for (const child of children) child.kill('SIGKILL');
  for (const f of readdirSync('/dev/shm').filter((f) => f.startsWith(ringPrefix))) {
    rmSync(`/dev/shm/${f}`, { force: true });
  }
}
process.on('exit', cleanup);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(1));
}

function fail(reason) {
  console.error(`riscv64-node: FAIL: ${reason}`);
  process.exit(1);
}
const log = (line) => console.log(`riscv64-node: ${line}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

for (const tool of ['qemu-riscv64-static', 'ffmpeg']) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    fail(`${tool} not found (apt-get install qemu-user-static ffmpeg)`);
  }
}
if (!existsSync(cli)) fail(`${cli} missing: build first (pnpm exec turbo run build)`);
for (const pkg of ['shm', 'sdk-native', 'send']) {
  const dir = join(root, 'packages', pkg, 'prebuilds', 'linux-riscv64');
  const glibc = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.glibc.node')) : [];
  if (glibc.length === 0) {
    fail(`no riscv64 glibc prebuild in ${dir}: run bash tools/prebuild-all.sh first`);
  }
}

const requireWs = createRequire(join(root, 'apps/streamer/package.json'));
const WebSocket = requireWs('ws');
const { decodeMessage, findParameterSets, isKeyframe } = await import(
  join(root, 'packages/protocol/dist/index.js')
);
const { ShmReader } = await import(join(root, 'packages/shm/dist/index.js'));

const rootfs = execFileSync('bash', [join(root, 'tools/riscv64/rootfs.sh')], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
}).trim();
const node = join(rootfs, 'usr/bin/node');
const nodeVersion = execFileSync('qemu-riscv64-static', ['-L', rootfs, node, '--version'], {
  encoding: 'utf8',
}).trim();
const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CAM_')));

/** Starts cam-streamer under qemu; resolves once it logs 'streamer started'. */
function startStreamer(name, nodeFlags, source, shmName) {
  const args = ['-L', rootfs, node, ...nodeFlags, cli, '--source', source];
  args.push('--width', `${WIDTH}`, '--height', `${HEIGHT}`, '--host', '127.0.0.1', '--port', '0');
  args.push('--rtsp-port', 'none', '--shm-name', shmName, '--log-json');
  const spawnedAt = performance.now();
  const child = spawn('qemu-riscv64-static', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stderr = '';
  let pending = '';
  let ended;
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      ended = signal ?? `exit code ${code}`;
      resolve({ code, signal });
    });
  });
  child.stderr.on('data', (d) => {
    stderr += d.toString();
  });
  /** Why the process ended badly, in one line: its last stderr line that is not a V8 warning. */
  const lastWords = () =>
    stderr
      .split('\n')
      .filter((l) => l.trim() && !l.startsWith('Warning: disabling flag'))
      .pop() ?? '(nothing on stderr)';
  const started = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        if (entry.event === 'streamer started') resolve(entry);
        // The board's ws path writes frames with @cam/send: its riscv64 addon must load.
        if (entry.event?.startsWith('native socket send unavailable')) {
          reject(new Error(`${name}: ${entry.event}: ${entry.reason}`));
        }
      }
    });
    exited.then(({ code, signal }) =>
      reject(
        new Error(
          `${name}: cam-streamer exited (${signal ?? code}) while starting: ${lastWords()}`,
        ),
      ),
    );
    setTimeout(
      () =>
        reject(new Error(`${name}: cam-streamer not listening after ${seconds(START_TIMEOUT_MS)}`)),
      START_TIMEOUT_MS,
    ).unref();
  });
  return started.then((entry) => ({
    entry,
    child,
    startMs: performance.now() - spawnedAt,
    port: Number(String(entry.listen).split(':').pop()),
    /** Throws, in one line, if the streamer has ended (a crash while frames are awaited). */
    assertRunning() {
      if (ended !== undefined)
        throw new Error(`${name}: cam-streamer ended (${ended}): ${lastWords()}`);
    },
    /** SIGTERM; the streamer must stop by itself with exit code 0. */
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const { code, signal } = await exited;
      clearTimeout(timer);
      if (code !== 0) {
        throw new Error(
          `${name}: cam-streamer ended by ${signal ?? `exit code ${code}`} after SIGTERM: ${lastWords()}`,
        );
      }
    },
  }));
}

/** A WebSocket client; `frames` fills with decoded messages. */
function openClient(port) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.binaryType = 'nodebuffer';
    const client = { ws, frames: [], openedAt: performance.now(), firstAt: 0 };
    ws.on('message', (data) => {
      if (client.frames.length === 0) client.firstAt = performance.now();
      client.frames.push(decodeMessage(data));
    });
    ws.on('error', reject);
    ws.on('open', () => resolve(client));
  });
}

/** Polls check() while the streamer runs; `what` may be a function, called at the timeout. */
async function waitFor(streamer, what, check, timeoutMs = FRAME_TIMEOUT_MS) {
  const until = performance.now() + timeoutMs;
  while (!check()) {
    streamer.assertRunning();
    if (performance.now() > until)
      throw new Error(
        `timed out after ${seconds(timeoutMs)} waiting for ${typeof what === 'function' ? what() : what}`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** ffmpeg decodes the access units; resolves with the number of pictures, rejects on any error. */
function decode(accessUnits) {
  return new Promise((resolve, reject) => {
    const ffmpeg = spawn(
      'ffmpeg',
      ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'framecrc', '-'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    ffmpeg.stdout.on('data', (d) => {
      out += d;
    });
    ffmpeg.stderr.on('data', (d) => {
      err += d;
    });
    ffmpeg.on('error', reject);
    ffmpeg.on('exit', (code) => {
      const pictures = out.split('\n').filter((l) => /^\d/.test(l)).length;
      if (code !== 0 || err.trim())
        reject(new Error(`ffmpeg: ${err.trim().split('\n')[0] || `exit ${code}`}`));
      else resolve(pictures);
    });
    ffmpeg.stdin.end(Buffer.concat(accessUnits));
  });
}

async function httpGet(port, path) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${body.trim()}`);
  return body;
}

/** CPU % of one core the process used over `ms`, from /proc/PID/stat (utime + stime). */
async function cpuPercent(pid, ms) {
  const ticks = () => {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(fields[11]) + Number(fields[12]);
  };
  const before = ticks();
  const from = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((ticks() - before) / ticksPerSecond / ((performance.now() - from) / 1000)) * 100;
}

function memoryMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field) => Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Reads one keyframe from the ring with this machine's (x86-64) @cam/shm reader. */
async function readRing(shmName) {
  const reader = ShmReader.open(shmName, { start: 'newest-keyframe' });
  try {
    const info = reader.streamInfo();
    if (info?.width !== WIDTH || info?.height !== HEIGHT) {
      throw new Error(
        `ring ${shmName} says ${info?.width}x${info?.height}, expected ${WIDTH}x${HEIGHT}`,
      );
    }
    const timeout = setTimeout(() => reader.close(), FRAME_TIMEOUT_MS);
    for await (const frame of reader) {
      clearTimeout(timeout);
      const data = frame.copy();
      if (!frame.keyframe || !isKeyframe(data) || !findParameterSets(data).sps) {
        throw new Error('the first frame read from the ring is not a keyframe with its SPS');
      }
      return data.length;
    }
    throw new Error(`no frame in the ring within ${seconds(FRAME_TIMEOUT_MS)}`);
  } finally {
    reader.close();
  }
}

/** One streamer run with every check; returns its figures. */
async function run(name, nodeFlags, source) {
  const shmName = `/${ringPrefix}${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  const streamer = await startStreamer(name, nodeFlags, source, shmName);
  const pid = streamer.child.pid;
  try {
    const first = await openClient(streamer.port);
    await waitFor(
      streamer,
      () =>
        `${name}: ${DECODE_FRAMES} frames on a WebSocket (got ${first.frames.length}, encoder ${streamer.entry.encoder ?? '-'})`,
      () => first.frames.length >= DECODE_FRAMES,
    );
    first.ws.close();
    const frames = first.frames.slice(0, DECODE_FRAMES);
    if (!isKeyframe(frames[0].accessUnit))
      throw new Error(`${name}: a joiner's first frame is not a keyframe`);
    const pictures = await decode(frames.map((f) => f.accessUnit));
    if (pictures !== frames.length) {
      throw new Error(`${name}: ffmpeg decoded ${pictures} pictures from ${frames.length} frames`);
    }
    if ((await httpGet(streamer.port, '/healthz')).trim() !== 'ok')
      throw new Error(`${name}: /healthz is not ok`);
    const info = JSON.parse(await httpGet(streamer.port, '/api/stream'));
    if (info.width !== WIDTH || info.height !== HEIGHT) {
      throw new Error(`${name}: /api/stream says ${info.width}x${info.height}`);
    }
    const metrics = await httpGet(streamer.port, '/metrics');
    const sent = Number(metrics.match(/^cam_messages_sent_total(?:\{[^}]*\})? (\d+)/m)?.[1]);
    if (!(sent >= DECODE_FRAMES))
      throw new Error(`${name}: /metrics cam_messages_sent_total is ${sent}`);
    const ringBytes = await readRing(shmName);
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, () => openClient(streamer.port)),
    );
    await waitFor(streamer, `${name}: a frame at each of ${CLIENTS} clients`, () =>
      clients.every((c) => c.frames.length > 0),
    );
    const cpu = await cpuPercent(pid, CPU_SAMPLE_MS);
    const memory = memoryMiB(pid);
    const fps = clients[0].frames.length / ((performance.now() - clients[0].firstAt) / 1000);
    for (const c of clients) c.ws.close();
    await streamer.stop();
    log(
      `${name}: listening after ${seconds(streamer.startMs)}, first frame ${seconds(first.firstAt - first.openedAt)} ` +
        `after connecting, ${pictures} frames decoded by ffmpeg with no error, ring keyframe ${ringBytes} bytes read ` +
        `by the x86-64 reader, ${CLIENTS} clients at ${fps.toFixed(0)} fps: CPU ${cpu.toFixed(0)} % of one core, ` +
        `RSS ${memory.rss.toFixed(0)} MiB (peak ${memory.peak.toFixed(0)} MiB), encoder ${streamer.entry.encoder ?? '-'}`,
    );
  } catch (error) {
    streamer.child.kill('SIGKILL');
    throw error;
  }
}

log(
  `riscv64 Node ${nodeVersion} (Debian 13) under qemu-riscv64-static: EMULATED figures, not a board's`,
);
const failures = [];
for (const [name, flags, source] of [
  ['jitless file', ['--jitless'], `file:${fixture}`],
  ['jitless test', ['--jitless'], 'test'],
  ['JIT test', [], 'test'],
]) {
  try {
    await run(name, flags, source);
  } catch (error) {
    failures.push(error.message.replace(/\s*\n\s*/g, ' '));
  }
}
const took = seconds(performance.now() - began);
if (failures.length > 0) fail(`${failures.join('; ')} (after ${took})`);
log(`passed in ${took}`);
