// Measures the `test` source (pattern drawing + OpenH264 encoding on the native thread):
//   - at 30 fps for each size: CPU of this process (% of one core) and encode time per frame;
//   - flat out (fps 240, the limit): frames per second actually produced.
// Measures, asserts nothing. Run after a build:  node bench/encode.mjs  [seconds per run]
import { openCamera } from '../dist/index.js';

const seconds = Number(process.argv[2] ?? 4);
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
    bitrateKbps: 4000,
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

const f = (n, d = 1) => n.toFixed(d);
console.log(
  `test source, OpenH264, 4000 kbit/s, ${seconds} s per run, ${new Date().toISOString()}`,
);
console.log(
  'size   | 30 fps: CPU % of a core | encode ms p50 / p95 | flat out: fps | dropped (flat out)',
);
for (const [name, width, height] of sizes) {
  const live = await run(width, height, 30);
  const max = await run(width, height, 240);
  console.log(
    `${name.padEnd(6)} | ${f(live.cpuPercent).padStart(23)} | ${`${f(live.encodeP50, 2)} / ${f(live.encodeP95, 2)}`.padStart(19)} | ${f(max.fps).padStart(13)} | ${JSON.stringify(max.dropped)}`,
  );
}
