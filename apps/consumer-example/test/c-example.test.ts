// Builds apps/consumer-example/c with its Makefile and runs it against a live writer.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringBytesFor, ShmWriter, shmLayout } from '@cam/shm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeH264,
  poke,
  rawRgbRing,
  rgbPicture,
  segmentsOfThisTest,
} from '../../../packages/shm/test/helpers';

// Unique names; their segments are removed after each test, even a failed one.
const segmentName = segmentsOfThisTest();

const out = mkdtempSync(join(tmpdir(), 'cam-c-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Ran = { code: number | null; stdout: string; stderr: string };

/**
 * Runs the consumer to its exit. The promise also has `seen(text)`, which resolves once its
 * stdout holds text (or it exited): a test waits for the consumer to be positioned in the ring
 * (its `info` line) instead of sleeping and hoping it got there.
 */
function run(binary: string, args: string[]): Promise<Ran> & { seen(text: string): Promise<void> } {
  // A hang is a failure too: killed after 20 s (code null).
  const child = spawn(binary, args, { timeout: 20_000 });
  let stdout = '';
  let stderr = '';
  let exited = false;
  child.stdout.on('data', (d) => {
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  const done = new Promise<Ran>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      resolve({ code, stdout, stderr });
    }),
  );
  const seen = (text: string) =>
    new Promise<void>((resolve) => {
      const check = () => (exited || stdout.includes(text)) && resolve();
      child.stdout.on('data', check);
      child.on('exit', check);
      check();
    });
  return Object.assign(done, { seen });
}

/** Publishes `frame` every 20 ms until `done` settles: a consumer that starts at the next frame
 *  gets one however long it takes to open the ring. */
async function publishUntil<T>(
  done: Promise<T>,
  writer: Pick<ShmWriter, 'publish'>,
  frame: Uint8Array,
): Promise<T> {
  const timer = setInterval(() => writer.publish(frame, Date.now(), true), 20);
  try {
    return await done;
  } finally {
    clearInterval(timer);
  }
}

/** Lines of a consumer's output as they arrive; `seen(text)` resolves once text appeared. */
function watch(child: ReturnType<typeof spawn>) {
  let stdout = '';
  child.stdout?.on('data', (d) => {
    stdout += String(d);
  });
  return {
    get stdout() {
      return stdout;
    },
    seen: (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => stdout.includes(text) && resolve();
        child.stdout?.on('data', check);
        check();
      }),
  };
}

describe('C example consumer', () => {
  // Every case runs the program built with AddressSanitizer + UBSan (no recovery): a heap
  // overflow or undefined behaviour fails the test (a report on stderr, exit status non-zero),
  // not luck. The plain build is checked to compile as users build it.
  const binary = join(out, 'asan', 'video_consumer');
  const asanFlags =
    'CFLAGS=-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -Wall -Wextra -Werror -std=gnu11';

  it('builds with its Makefile (plain, and with ASan + UBSan)', () => {
    const dir = join(import.meta.dirname, '..', 'c');
    execFileSync('make', ['-s', '-C', dir, `OUT=${out}`]);
    execFileSync('make', ['-s', '-B', '-C', dir, `OUT=${join(out, 'asan')}`, asanFlags]);
  }, 120_000); // two compilations, one instrumented: slow on a busy 2-core machine

  it('follows a restarted writer with bigger slots (its copy buffer grows with them)', async () => {
    const name = segmentName();
    const first = ShmWriter.create(name, { totalBytes: 64 << 10, slots: 8 });
    const child = spawn(binary, ['-n', '2', '-s', 'oldest', name], { timeout: 20_000 });
    const out = watch(child);
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const small = new Uint8Array(100);
    small.set([0, 0, 0, 1, 0x65]);
    first.publish(small, Date.now(), true);
    await out.seen('frame seq=1 ');
    first.close();
    await out.seen('writer-dead reason=closed');
    const second = ShmWriter.create(name, { totalBytes: 4 << 20, slots: 4 });
    const big = new Uint8Array(512 << 10);
    big.set([0, 0, 0, 1, 0x65]);
    second.publish(big, Date.now(), true);
    const code = await exited;
    second.close();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(out.stdout).toMatch(/frame seq=1 bytes=524288 key=1/);
  });

  it('after a gap, saves no P-frame until the next keyframe, so the recording decodes', async () => {
    const aus = encodeH264(90, 30);
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 2 << 20, slots: 8 });
    const save = join(out, 'gap.h264');
    const child = spawn(binary, ['-n', '1000', '-o', save, name], { timeout: 20_000 });
    const out2 = watch(child);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await out2.seen('info '); // opened and positioned: it gets every frame from the first
    const publish = (from: number, to: number) => {
      for (const au of aus.slice(from, to)) writer.publish(au.data, Date.now(), au.keyframe);
    };
    // One at a time, each read before the next: the recording starts at frame 1 (a keyframe) on
    // any machine. A burst of 10 into 8 slots let a slow reader be lapped past frame 1, and the
    // later burst past both other keyframes: nothing was saved.
    for (let seq = 1; seq <= 10; seq++) {
      publish(seq - 1, seq);
      await out2.seen(`frame seq=${seq} `);
    }
    // The consumer stops while 20 frames go by: 12 of them are overwritten before it reads.
    child.kill('SIGSTOP');
    publish(10, 30);
    child.kill('SIGCONT');
    await out2.seen('frame seq=30 ');
    publish(30, 90);
    await out2.seen('frame seq=90 ');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    writer.close();
    const lines = out2.stdout.trim().split('\n');
    // What the recording must hold: from a keyframe on, until a frame reports a gap (lost > 0),
    // then nothing until the next keyframe.
    const frames = lines
      .map((l) => /^frame seq=(\d+) bytes=\d+ key=(\d) lost=(\d+)/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ seq: Number(m[1]), key: m[2] === '1', lost: Number(m[3]) }));
    let saving = false;
    const kept: number[] = [];
    for (const f of frames) {
      if (f.lost > 0) saving = false;
      saving ||= f.key;
      if (saving) kept.push(f.seq);
    }
    expect(frames.some((f) => f.lost > 0)).toBe(true); // the gap we made (and any other)
    const skipped = lines.filter((l) => l.startsWith('skip ')).map((l) => Number(l.slice(9)));
    expect(skipped.length).toBeGreaterThan(0);
    expect([...kept, ...skipped].sort((x, y) => x - y)).toEqual(frames.map((f) => f.seq));
    const saved = readFileSync(save);
    expect(
      saved.equals(Buffer.concat(kept.map((seq) => aus[seq - 1]?.data ?? new Uint8Array()))),
    ).toBe(true);
    const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', save, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
    });
    expect(decoded.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(kept.length);
  });

  it('refuses a FIFO planted at the segment name at once (no blocked open)', async () => {
    const name = segmentName();
    execFileSync('mkfifo', [`/dev/shm${name}`]);
    const { code, stderr } = await run(binary, [name]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not a regular file/);
  });

  it('reads N frames from a live writer with per-frame stats and saves a decodable .h264', async () => {
    const aus = encodeH264(60, 15);
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 4 << 20, slots: 128 });
    writer.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 30 });
    for (const au of aus.slice(0, 20)) writer.publish(au.data, Date.now(), au.keyframe);
    const save = join(out, 'c.h264');
    const done = run(binary, ['-n', '40', '-s', 'keyframe', '-o', save, name]);
    // The rest arrives live, once the consumer is positioned (and then waits on the futex).
    await done.seen('info ');
    for (const au of aus.slice(20)) writer.publish(au.data, Date.now(), au.keyframe);
    const { code, stdout, stderr } = await done;
    writer.close();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^info codec=avc1.64000d width=320 height=240 fps=30.000 sps_bytes=\d+ pps_bytes=\d+ epoch=\d+$/,
    );
    const frames = lines.filter((l) => l.startsWith('frame '));
    expect(frames).toHaveLength(40);
    // Newest keyframe among the first 20 frames of a GOP-15 stream is frame 16 (index 15).
    const seqs = frames.map((l) => Number(/seq=(\d+)/.exec(l)?.[1]));
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, i) => 16 + i));
    for (const [i, line] of frames.entries()) {
      const au = aus[15 + i] as { data: Uint8Array; keyframe: boolean };
      expect(line).toMatch(
        new RegExp(
          `^frame seq=\\d+ bytes=${au.data.length} key=${au.keyframe ? 1 : 0} lost=0 latency_ms=\\d+ wake_us=\\d+$`,
        ),
      );
    }
    expect(lines.at(-1)).toBe('summary frames=40 lost=0 overwritten=0 keyframes=3');
    const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', save, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
    });
    expect(decoded.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(40);
  });

  it('reports a writer that went away and follows the next one (new epoch)', async () => {
    const aus = encodeH264(6, 3);
    const name = segmentName();
    const first = ShmWriter.create(name, { totalBytes: 1 << 20, slots: 8 });
    const firstEpoch = first.stats().epoch;
    const child = spawn(binary, ['-n', '6', '-s', 'oldest', name]);
    let stdout = '';
    const seen = (text: string) =>
      new Promise<void>((resolve) => {
        const check = () => stdout.includes(text) && resolve();
        child.stdout.on('data', check);
        check();
      });
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    for (const au of aus.slice(0, 3)) first.publish(au.data, Date.now(), au.keyframe);
    await seen('frame seq=3 ');
    first.close();
    await seen('writer-dead reason=closed');
    const second = ShmWriter.create(name, { totalBytes: 1 << 20, slots: 8 });
    for (const au of aus.slice(3)) second.publish(au.data, Date.now(), au.keyframe);
    expect(await exited).toBe(0);
    second.close();
    const events = stdout
      .trim()
      .split('\n')
      .map((l) =>
        l.replace(/ (bytes|lost|latency_ms|wake_us|width|height|fps|sps_bytes|pps_bytes)=\S+/g, ''),
      );
    expect(events).toEqual([
      `info codec=- epoch=${firstEpoch}`,
      'frame seq=1 key=1',
      'frame seq=2 key=0',
      'frame seq=3 key=0',
      'writer-dead reason=closed',
      `resync epoch=${second.stats().epoch}`,
      `info codec=- epoch=${second.stats().epoch}`,
      'frame seq=1 key=1',
      'frame seq=2 key=0',
      'frame seq=3 key=0',
      'summary frames=6 overwritten=0 keyframes=2',
    ]);
  });

  it('fails with a message naming a missing segment', async () => {
    const name = segmentName();
    const { code, stderr } = await run(binary, [name]);
    expect(code).toBe(1);
    expect(stderr).toBe(`video_consumer: shm open ${name}: no such segment (ENOENT)\n`);
  });
  it('-p writes the next picture of a raw RGB ring as a PPM, rows read through the stride', async () => {
    const [w, h] = [40, 30];
    const name = segmentName();
    const writer = rawRgbRing(name, w, h);
    const picture = rgbPicture(w, h, 7);
    const path = join(out, 'c.ppm');
    const { code, stdout, stderr } = await publishUntil(
      run(binary, ['-p', path, name]),
      writer,
      picture,
    );
    writer.close();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^picture seq=\d+ width=40 height=30 stride=120 format=1 path=/);
    const ppm = readFileSync(path);
    const header = Buffer.from('P6\n40 30\n255\n');
    expect(ppm.subarray(0, header.length)).toEqual(header);
    expect(Buffer.compare(ppm.subarray(header.length), Buffer.from(picture))).toBe(0);
  });

  it('-p refuses a raw ring whose 3 × height × stride wraps past 2^64 (no read past the picture)', async () => {
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: ringBytesFor(4, 1200), slots: 4 });
    writer.setStreamInfo({
      codec: 'rgbp',
      width: 40,
      height: 10,
      fps: 15,
      pixelFormat: 'rgbPlanar',
      stride: 40,
    });
    // A hostile writer's header: 3 × 1684887088 × 3649452082 = 2^64 + 32, so a size computed in
    // 64 bits claims a 32-byte picture whose rows lie gigabytes past it.
    const header = shmLayout().header as Record<string, number>;
    poke(name, header.height as number, 1684887088, 4);
    poke(name, header.stride as number, 3649452082, 4);
    const { code, stderr } = await publishUntil(
      run(binary, ['-p', join(out, 'wrap.ppm'), name]),
      writer,
      new Uint8Array(32),
    );
    writer.close();
    expect(code).toBe(1);
    expect(stderr).toBe(
      `video_consumer: ${name}: format 3, 40x1684887088 with stride 3649452082 is no picture a frame can hold (broken header)\n`,
    );
  });

  it('-p refuses an H.264 ring in one line', async () => {
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 1 << 16, slots: 4 });
    writer.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 30 });
    const { code, stderr } = await run(binary, ['-p', join(out, 'no.ppm'), name]);
    writer.close();
    expect(code).toBe(1);
    expect(stderr).toBe(
      `video_consumer: ${name} is not a raw-picture ring (codec avc1.64000d): -p needs a channel like 640x640@15:rgb\n`,
    );
  });
});
