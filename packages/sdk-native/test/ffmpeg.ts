// Real ffmpeg/ffprobe runs over a stream written to a temporary file.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Decoded {
  /** Everything ffmpeg -v error printed: empty for a clean stream. */
  errors: string;
  frames: number;
  width: number;
  height: number;
}

/** Decodes an Annex B stream with ffmpeg and counts its frames with ffprobe. */
export async function decodeH264(units: Uint8Array[]): Promise<Decoded> {
  const dir = mkdtempSync(join(tmpdir(), 'cam-sdk-'));
  const file = join(dir, 'stream.h264');
  try {
    writeFileSync(file, Buffer.concat(units));
    const ffmpeg = await run('ffmpeg', [
      '-v',
      'error',
      '-nostdin',
      '-f',
      'h264',
      '-i',
      file,
      '-f',
      'null',
      '-',
    ]);
    const probe = await run('ffprobe', [
      ...['-v', 'error', '-f', 'h264', '-count_frames', '-select_streams', 'v:0'],
      ...['-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json', file],
    ]);
    const stream = JSON.parse(probe.stdout).streams[0];
    return {
      errors: ffmpeg.stderr + ffmpeg.stdout,
      frames: Number(stream.nb_read_frames),
      width: stream.width,
      height: stream.height,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
