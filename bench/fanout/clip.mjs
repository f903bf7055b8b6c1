// The stream every fan-out and viewer benchmark replays: a real H.264 encoding at the size and
// rate the streamer defaults to (1080p30, ~4 Mbit/s, GOP 30, SPS/PPS before every IDR), made
// once with ffmpeg's libx264 and cached under bench/.cache/ (gitignored).
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CLIP = {
  width: 1920,
  height: 1080,
  fps: 30,
  seconds: 10,
  bitrateKbps: 4000,
  gop: 30,
};

const cacheDir = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');
export const CLIP_PATH = join(cacheDir, `testsrc2-${CLIP.width}x${CLIP.height}p${CLIP.fps}.h264`);

/** Path of the clip, encoding it first if the cache has none (about 10 s on 2 cores). */
export async function ensureClip() {
  if (existsSync(CLIP_PATH)) return CLIP_PATH;
  mkdirSync(cacheDir, { recursive: true });
  const { width, height, fps, seconds, bitrateKbps, gop } = CLIP;
  const partial = `${CLIP_PATH}.partial`;
  // Temporal noise keeps testsrc2 from compressing far below the target bitrate; zerolatency
  // means no B-frames and no lookahead, as a live camera encoder would run.
  const args = [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi'],
    ...['-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`],
    ...['-vf', 'noise=alls=12:allf=t', '-c:v', 'libx264', '-preset', 'veryfast'],
    ...['-tune', 'zerolatency', '-profile:v', 'high', '-pix_fmt', 'yuv420p'],
    ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'],
    ...['-b:v', `${bitrateKbps}k`, '-maxrate', `${bitrateKbps}k`, '-bufsize', `${bitrateKbps}k`],
    ...['-x264-params', 'repeat-headers=1', '-f', 'h264', partial],
  ];
  try {
    await run('ffmpeg', args);
  } catch (err) {
    throw new Error(
      `bench clip: ffmpeg failed (tools/setup.sh installs it): ${err.stderr || err.message}`,
    );
  }
  renameSync(partial, CLIP_PATH);
  return CLIP_PATH;
}

/**
 * The clip's access units, split as @cam/sdk-native's file replay splits them, in the record
 * file the C floor (bench/c/fanout_floor.c) replays: [u32 LE length][u8 keyframe][bytes] each.
 */
export async function ensureFrames(clipPath, readRecording) {
  const framesPath = `${clipPath}.frames`;
  if (existsSync(framesPath)) return framesPath;
  const { units } = await readRecording(clipPath);
  const parts = [];
  for (const unit of units) {
    const head = Buffer.alloc(5);
    head.writeUInt32LE(unit.data.length, 0);
    head[4] = unit.keyframe ? 1 : 0;
    parts.push(head, unit.data);
  }
  writeFileSync(`${framesPath}.partial`, Buffer.concat(parts));
  renameSync(`${framesPath}.partial`, framesPath);
  return framesPath;
}
