// Measures the `test` source (pattern drawing + OpenH264 encoding on the native thread):
//   - at 30 fps for each size: CPU of this process (% of one core) and encode time per frame;
//   - flat out (fps 240, the limit): frames per second actually produced.
// Measures, asserts nothing. Run after a build:  node bench/encode.mjs [seconds per run] [--json]
// Prints a table; with --json, one JSON object instead (what bench/encoder.bench.mjs reads):
//   { seconds, bitrateKbps, date, sizes: { '1080p': { width, height, cpuPercentAt30,
//     encodeMsP50, encodeMsP95, flatOutFps, droppedFlatOut }, ... } }
import { parseArgs } from 'node:util';
import { openCamera } from '../dist/index.js';

const BITRATE_KBPS = 4000;
const { values, positionals } = parseArgs({
  options: { json: { type: 'boolean', default: false } },
  allowPositionals: true,
});
const seconds = Number(positionals[0] ?? 4);
if (!(seconds > 0))
  throw new Error(`encode.mjs: seconds per run must be > 0, got ${positionals[0]}`);
const sizes = [
  ['1080p', 1920, 1080],
  ['720p', 1280, 720],
  ['480p', 854, 480],
];

async function run(width, height, fps) {
  const camera = await openCamera({
    source: 'test',
    width,
    height,
    fps,
    bitrateKbps: BITRATE_KBPS,
    gop: 30,
  });
  let frames = 0;
  camera.on('frame', () => frames++);
  // Skip the first second: encoder warm-up and the first IDR.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const startFrames = frames;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const stats = camera.stats();
  await camera.close();
  return {
    fps: ((frames - startFrames) * 1000) / wall,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wall) * 100,
    encodeP50: stats.encodeMs?.p50 ?? 0,
    encodeP95: stats.encodeMs?.p95 ?? 0,
    dropped: stats.droppedReasons,
  };
}

const date = new Date().toISOString();
const f = (n, d = 1) => n.toFixed(d);
if (!values.json) {
  console.log(`test source, OpenH264, ${BITRATE_KBPS} kbit/s, ${seconds} s per run, ${date}`);
  console.log(
    'size   | 30 fps: CPU % of a core | encode ms p50 / p95 | flat out: fps | dropped (flat out)',
  );
}
const results = {};
for (const [name, width, height] of sizes) {
  const live = await run(width, height, 30);
  const max = await run(width, height, 240);
  results[name] = {
    width,
    height,
    cpuPercentAt30: live.cpuPercent,
    encodeMsP50: live.encodeP50,
    encodeMsP95: live.encodeP95,
    flatOutFps: max.fps,
    droppedFlatOut: max.dropped,
  };
  if (!values.json) {
    console.log(
      `${name.padEnd(6)} | ${f(live.cpuPercent).padStart(23)} | ${`${f(live.encodeP50, 2)} / ${f(live.encodeP95, 2)}`.padStart(19)} | ${f(max.fps).padStart(13)} | ${JSON.stringify(max.dropped)}`,
    );
  }
}
if (values.json) {
  console.log(JSON.stringify({ seconds, bitrateKbps: BITRATE_KBPS, date, sizes: results }));
}
