#!/usr/bin/env node
// cam-consumer: prints fps, bitrate, latency and gaps of the shared-memory stream; --save writes
// a .h264 file that ffmpeg and VLC play; --picture writes one picture of a raw (ML) ring as PPM.
import { parseArgs } from 'node:util';
import { consume } from './consume';
import { savePicture } from './picture';

const usage = `usage: cam-consumer [--name /video_stream] [--frames N] [--save out.h264]
                    [--start newest-keyframe|next|oldest] [--interval-ms 1000]
       cam-consumer --name /video_stream_ch2 --picture out.ppm   (a raw-picture ring)`;

function main(): Promise<unknown> | undefined {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      frames: { type: 'string' },
      save: { type: 'string' },
      start: { type: 'string' },
      'interval-ms': { type: 'string' },
      picture: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  if (values.picture !== undefined) {
    return savePicture(values.name ?? '/video_stream', values.picture).then((p) =>
      console.log(
        `picture seq=${p.seq} width=${p.width} height=${p.height} format=${p.pixelFormat} path=${values.picture}`,
      ),
    );
  }
  const frames = values.frames === undefined ? undefined : Number(values.frames);
  const intervalMs = Number(values['interval-ms'] ?? 1000);
  const start = values.start ?? 'newest-keyframe';
  if (frames !== undefined && !(Number.isInteger(frames) && frames > 0))
    throw new Error(`--frames: want a positive integer, got ${values.frames}`);
  if (!(intervalMs > 0))
    throw new Error(`--interval-ms: want a positive number, got ${values['interval-ms']}`);
  if (!['newest-keyframe', 'next', 'oldest'].includes(start))
    throw new Error(`--start: want newest-keyframe, next or oldest, got ${start}`);
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  return consume({
    name: values.name,
    frames,
    save: values.save,
    start: start as 'next',
    intervalMs,
    signal: abort.signal,
  }).then((s) =>
    console.log(
      `total frames=${s.frames} lost=${s.lost} gaps=${s.gaps} overwritten=${s.overwritten} saved=${s.saved}`,
    ),
  );
}

try {
  main()?.catch(fail);
} catch (err) {
  fail(err);
}

function fail(err: unknown): void {
  console.error(`cam-consumer: ${(err as Error).message}`);
  process.exitCode = 1;
}
