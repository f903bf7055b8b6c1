// Benchmark 8 (encoder) of issue 8: software H.264 at 1080p, 720p and 480p.
//
// Ours: the `test` source of @cam/sdk-native (pattern drawn + OpenH264 on its native thread),
// measured by that package's own script, packages/sdk-native/bench/encode.mjs: at 30 fps, the
// CPU of the process (% of one core) and encode time per frame; flat out (fps 240, the API's
// limit), the frames per second actually produced. This file runs it with --json.
// Peer: ffmpeg's libx264 (the other software encoder Debian ships; GPL, so not ours to link)
// at the same sizes and bitrate, preset ultrafast, tune zerolatency, from its testsrc2 pattern:
// `-benchmark` gives its user + system CPU and wall time, flat out (FLAT_OUT_FRAMES frames) and
// at 30 fps (-re, LIVE_S seconds). Both include drawing the picture, both run on all cores.
// Target (DESIGN.md): real time at 1080p30 on 2 cores, i.e. flat out ≥ 30 fps.
//
// Run: pnpm bench encoder   (bench/run.mjs prints the table and writes bench/results/encoder.json)
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

const SECONDS_PER_RUN = 4; // encode.mjs: each size runs at 30 fps, then flat out, this long
const FLAT_OUT_FRAMES = 240;
const LIVE_S = 4;
const BITRATE_KBPS = 4000; // as encode.mjs
const SIZES = {
  '1080p': [1920, 1080],
  '720p': [1280, 720],
  '480p': [854, 480],
};

const script = fileURLToPath(new URL('../packages/sdk-native/bench/encode.mjs', import.meta.url));

/** Runs encode.mjs --json: per size, CPU % at 30 fps, encode ms p50/p95, flat-out fps, drops. */
async function ours() {
  const { stdout } = await run(process.execPath, [script, String(SECONDS_PER_RUN), '--json'], {
    cwd: fileURLToPath(new URL('../packages/sdk-native/', import.meta.url)),
  });
  let sizes;
  try {
    ({ sizes } = JSON.parse(stdout));
  } catch (err) {
    throw new Error(`encoder: ${script} --json printed no JSON (${err.message}):\n${stdout}`);
  }
  const missing = Object.keys(SIZES).filter((size) => !sizes?.[size]);
  if (missing.length) {
    throw new Error(`encoder: ${script} --json has no ${missing.join(', ')}:\n${stdout}`);
  }
  return sizes;
}

/** ffmpeg libx264 on testsrc2: {cpuS, wallS} from -benchmark. */
async function x264([width, height], { live }) {
  const input = live
    ? ['-re', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-t', String(LIVE_S)]
    : ['-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=240`];
  const args = [
    ...['-hide_banner', '-nostats', '-benchmark', ...input],
    ...(live ? [] : ['-frames:v', String(FLAT_OUT_FRAMES)]),
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency'],
    ...['-b:v', `${BITRATE_KBPS}k`, '-g', '30', '-f', 'null', '-'],
  ];
  const { stderr } = await run('ffmpeg', args);
  const m = stderr.match(/bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/);
  if (!m)
    throw new Error(`encoder: ffmpeg ${args.join(' ')} printed no -benchmark line:\n${stderr}`);
  return { cpuS: Number(m[1]) + Number(m[2]), wallS: Number(m[3]) };
}

export default {
  name: 'encoder',
  async run(ctx) {
    ctx.log(`encoder: ${script} (${SECONDS_PER_RUN} s per run)`);
    const openh264 = await ours();
    const peer = {};
    for (const [size, dims] of Object.entries(SIZES)) {
      ctx.log(`encoder: ffmpeg libx264 ultrafast, ${size}`);
      const flat = await x264(dims, { live: false });
      const live = await x264(dims, { live: true });
      peer[size] = {
        flatOutFps: FLAT_OUT_FRAMES / flat.wallS,
        cpuPercentAt30: (100 * live.cpuS) / live.wallS,
        flat,
        live,
      };
    }
    const rows = [];
    for (const size of Object.keys(SIZES)) {
      const o = openh264[size];
      rows.push(
        {
          what: `encoder ${size}: frames per second flat out, OpenH264`,
          ours: o.flatOutFps,
          peer: peer[size].flatOutFps,
          peerName: 'libx264 ultrafast',
          unit: 'fps',
          target: size === '1080p' ? '≥ 30 fps (real time)' : '—',
          ...(size === '1080p' ? { pass: o.flatOutFps >= 30 } : {}),
        },
        {
          what: `encoder ${size}30: CPU, OpenH264`,
          ours: o.cpuPercentAt30,
          peer: peer[size].cpuPercentAt30,
          peerName: 'libx264 ultrafast',
          unit: '% core',
          target: '—',
        },
      );
    }
    return {
      rows,
      samples: {
        method:
          `ours: packages/sdk-native/bench/encode.mjs ${SECONDS_PER_RUN} --json (test source, OpenH264, ` +
          `${BITRATE_KBPS} kbit/s, GOP 30); peer: ffmpeg -benchmark libx264 ultrafast zerolatency ` +
          `from testsrc2, ${FLAT_OUT_FRAMES} frames flat out and ${LIVE_S} s at 30 fps (-re).`,
        openh264,
        libx264: peer,
      },
    };
  },
};
