// Real H.264 for the browser tests, made by ffmpeg (libx264, baseline, GOP 30, Annex B) and split
// into access units the way an encoder hands them to the streamer: SPS + PPS before every IDR.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitNalUnits } from '@cam/protocol';

export interface H264Clip {
  accessUnits: Uint8Array[];
  width: number;
  height: number;
  fps: number;
}

const AUD = 9; // access unit delimiter: x264 writes one before every access unit with aud=1

export function makeClip(seconds = 4, width = 640, height = 360, fps = 30): H264Clip {
  const dir = mkdtempSync(join(tmpdir(), 'cam-player-clip-'));
  const file = join(dir, 'clip.h264');
  try {
    execFileSync(
      'ffmpeg',
      [
        ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`],
        ...[
          '-t',
          String(seconds),
          '-c:v',
          'libx264',
          '-profile:v',
          'baseline',
          '-preset',
          'veryfast',
        ],
        ...['-tune', 'zerolatency', '-g', '30', '-keyint_min', '30', '-sc_threshold', '0'],
        ...['-x264-params', 'aud=1:repeat-headers=1', '-f', 'h264', file],
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const stream = readFileSync(file);
    const nals = splitNalUnits(stream);
    // Each AU runs from the NAL after one delimiter to the start code of the next delimiter.
    const accessUnits: Uint8Array[] = [];
    const delimiters = nals.filter((n) => n.type === AUD);
    delimiters.forEach((aud, i) => {
      const start = aud.offset + aud.startCodeLength + aud.data.length;
      const end = delimiters[i + 1]?.offset ?? stream.length;
      accessUnits.push(new Uint8Array(stream.subarray(start, end)));
    });
    return { accessUnits, width, height, fps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
