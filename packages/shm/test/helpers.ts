// Test helpers: unique segment names, raw-picture rings, child processes that speak JSON lines,
// real H.264 from ffmpeg. Used by this package's tests and by apps/consumer-example's.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { splitNalUnits } from '@cam/protocol';
import { afterEach } from 'vitest';
import { ringBytesFor, ShmWriter } from '../src/index';

let counter = 0;

/** A segment name no other test (or test run) uses. */
export function segmentName(): string {
  counter++;
  return `/cam-test-${process.pid}-${counter}`;
}

export function removeSegment(name: string): void {
  rmSync(`/dev/shm${name}`, { force: true });
}

/** For a test file: returns a maker of unique names whose segments are removed after each test. */
export function segmentsOfThisTest(): () => string {
  const names: string[] = [];
  afterEach(() => {
    for (const n of names.splice(0)) removeSegment(n);
  });
  return () => {
    const n = segmentName();
    names.push(n);
    return n;
  };
}

/** The stream info of a ring of packed 8-bit RGB pictures, rows packed (stride = 3 × width). */
export function rgbInfo(width: number, height: number) {
  return {
    codec: 'rgb24',
    width,
    height,
    fps: 15,
    pixelFormat: 'rgb24',
    stride: width * 3,
  } as const;
}

/** A ring of `slots` packed RGB pictures of width × height, its stream info set. */
export function rawRgbRing(name: string, width: number, height: number, slots = 4): ShmWriter {
  const writer = ShmWriter.create(name, {
    totalBytes: ringBytesFor(slots, width * height * 3),
    slots,
  });
  writer.setStreamInfo(rgbInfo(width, height));
  return writer;
}

/** A packed RGB picture whose every byte differs from its neighbours (`step` apart, mod 256). */
export function rgbPicture(width: number, height: number, step: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * step + seed) & 0xff);
}

/** Writes `value` at `offset` of a segment's file, as a hostile writer of the same user can. */
export function poke(name: string, offset: number, value: number | bigint, bytes: 4 | 8): void {
  const b = Buffer.alloc(bytes);
  if (bytes === 4) b.writeUInt32LE(Number(value));
  else b.writeBigUInt64LE(BigInt(value));
  const fd = openSync(`/dev/shm${name}`, 'r+');
  writeSync(fd, b, 0, bytes, offset);
  closeSync(fd);
}

export type Line = { event: string } & Record<string, unknown>;

/** A child process whose stdout is JSON lines. */
export class Child {
  readonly process: ChildProcess;
  readonly lines: Line[] = [];
  readonly exited: Promise<number | null>;
  #waiters: { event: string; resolve: (line: Line) => void }[] = [];
  #stderr = '';

  constructor(command: string, args: string[]) {
    this.process = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stderr?.on('data', (chunk) => {
      this.#stderr += String(chunk);
    });
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      this.lines.push(line);
      for (const w of this.#waiters.filter((w) => w.event === line.event)) w.resolve(line);
      this.#waiters = this.#waiters.filter((w) => w.event !== line.event);
    });
    this.exited = new Promise((resolve) => this.process.on('exit', (code) => resolve(code)));
  }

  /** Node running fixtures/`fixture`, run by `wrapper` (a command and its arguments) if given. */
  static node(fixture: string, options: object, wrapper: string[] = []) {
    const script = join(import.meta.dirname, 'fixtures', fixture);
    const [command = '', ...args] = [...wrapper, process.execPath, script, JSON.stringify(options)];
    return new Child(command, args);
  }

  get stderr(): string {
    return this.#stderr;
  }

  /** The first line with this event (already seen or still to come). */
  waitFor(event: string): Promise<Line> {
    const seen = this.lines.find((l) => l.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ event, resolve });
      this.exited.then((code) =>
        reject(new Error(`child exited (${code}) before '${event}': ${this.#stderr}`)),
      );
    });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    this.process.kill(signal);
  }
}

export interface AccessUnit {
  data: Uint8Array;
  keyframe: boolean;
}

/** Real H.264 (Annex B, SPS+PPS before every IDR) from ffmpeg's testsrc2, split into AUs. */
export function encodeH264(frames: number, gop = 15, size = '320x240'): AccessUnit[] {
  const dir = mkdtempSync(join(tmpdir(), 'cam-shm-h264-'));
  const file = join(dir, 'test.h264');
  try {
    execFileSync('ffmpeg', [
      ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30`],
      ...['-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast'],
      ...['-g', String(gop), '-bf', '0', '-x264-params', 'aud=1:repeat-headers=1'],
      ...['-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file],
    ]);
    const stream = new Uint8Array(readFileSync(file));
    // Each AU starts with an access unit delimiter (NAL type 9).
    const nals = splitNalUnits(stream);
    const starts = nals.filter((n) => n.type === 9).map((n) => n.offset);
    return starts.map((start, i) => {
      const end = starts[i + 1] ?? stream.length;
      const data = stream.subarray(start, end);
      const keyframe = nals.some((n) => n.type === 5 && n.offset >= start && n.offset < end);
      return { data, keyframe };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
