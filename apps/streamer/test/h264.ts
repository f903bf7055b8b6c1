// Test helpers: real H.264 made by ffmpeg, split into access units, and decoded back by ffmpeg.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { isKeyframe, splitNalUnits } from '@cam/protocol';

const run = promisify(execFile);

export interface AccessUnit {
  data: Uint8Array;
  keyframe: boolean;
}

const SLICE_TYPES = new Set([1, 5]);

/** Groups the NAL units of an Annex B stream into access units (one slice per frame, as x264 writes). */
export function splitAccessUnits(stream: Uint8Array): AccessUnit[] {
  const units: AccessUnit[] = [];
  let start = 0;
  let hasSlice = false;
  for (const nal of splitNalUnits(stream)) {
    if (hasSlice && nal.offset > start) {
      units.push(accessUnit(stream.subarray(start, nal.offset)));
      start = nal.offset;
      hasSlice = false;
    }
    if (SLICE_TYPES.has(nal.type)) hasSlice = true;
  }
  units.push(accessUnit(stream.subarray(start)));
  return units;
}

function accessUnit(data: Uint8Array): AccessUnit {
  return { data, keyframe: isKeyframe(data) };
}

export interface EncodeOptions {
  size?: string;
  rate?: number;
  frames?: number;
  gop?: number;
  /** x264 constant quantizer: lower = bigger frames (0 = lossless). */
  qp?: number;
}

/** Encodes ffmpeg's testsrc2 with libx264 (baseline, Annex B) and returns its access units. */
export async function makeH264(options: EncodeOptions = {}): Promise<AccessUnit[]> {
  const { size = '320x240', rate = 30, frames = 90, gop = 30, qp } = options;
  const dir = mkdtempSync(join(tmpdir(), 'cam-h264-'));
  const out = join(dir, 'out.h264');
  try {
    await run('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${size}:rate=${rate}`,
      '-frames:v',
      String(frames),
      '-c:v',
      'libx264',
      '-profile:v',
      'baseline',
      '-g',
      String(gop),
      '-keyint_min',
      String(gop),
      '-sc_threshold',
      '0',
      ...(qp === undefined ? [] : ['-qp', String(qp)]),
      '-bsf:v',
      'h264_mp4toannexb',
      '-f',
      'h264',
      out,
    ]);
    return splitAccessUnits(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Decodes an Annex B stream with ffmpeg; resolves to what it printed at `-v error` (empty when
 * every frame decoded) and the number of frames decoded.
 */
export function ffmpegDecode(stream: Uint8Array): Promise<{ errors: string; frames: number }> {
  return new Promise((resolve, reject) => {
    const ff = spawn(
      'ffmpeg',
      ['-v', 'error', '-f', 'h264', '-i', 'pipe:0', '-f', 'framecrc', '-'],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let errors = '';
    ff.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    ff.stderr.on('data', (d: Buffer) => {
      errors += d.toString();
    });
    ff.on('error', reject);
    ff.on('close', (code) => {
      const frames = out.split('\n').filter((l) => /^\d+,/.test(l)).length;
      resolve({ errors: errors + (code === 0 ? '' : `exit ${code}`), frames });
    });
    ff.stdin.end(stream);
  });
}

/** Joins access units into one Annex B stream. */
export function concat(units: Uint8Array[]): Uint8Array {
  return Buffer.concat(units);
}
