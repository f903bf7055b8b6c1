// H.264 recordings made by the real ffmpeg (libx264) for the file-replay tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Fixtures {
  dir: string;
  /** Writes `frames` frames of 320x240 testsrc2 as Annex B to `name`, returning its path. */
  make(name: string, frames: number, x264Params: string): string;
  remove(): void;
}

export function fixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'cam-replay-'));
  return {
    dir,
    make(name, frames, x264Params) {
      const file = join(dir, name);
      execFileSync('ffmpeg', [
        ...['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25'],
        ...['-frames:v', String(frames), '-c:v', 'libx264', '-x264-params', x264Params],
        ...['-f', 'h264', file],
      ]);
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
