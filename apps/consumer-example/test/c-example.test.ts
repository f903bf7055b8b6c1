// Builds apps/consumer-example/c with its Makefile and runs it against a live writer.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ringBytesFor, ShmWriter } from '@cam/shm';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeH264, segmentsOfThisTest } from '../../../packages/shm/test/helpers';

// Unique names; their segments are removed after each test, even a failed one.
const segmentName = segmentsOfThisTest();

const out = mkdtempSync(join(tmpdir(), 'cam-c-example-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

function run(
  binary: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(binary, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('C example consumer', () => {
  const binary = join(out, 'video_consumer');

  it('builds with its Makefile', () => {
    execFileSync('make', ['-s', '-C', join(import.meta.dirname, '..', 'c'), `OUT=${out}`]);
  });

  it('reads N frames from a live writer with per-frame stats and saves a decodable .h264', async () => {
    const aus = encodeH264(60, 15);
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 4 << 20, slots: 128 });
    writer.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 30 });
    for (const au of aus.slice(0, 20)) writer.publish(au.data, Date.now(), au.keyframe);
    const save = join(out, 'c.h264');
    const done = run(binary, ['-n', '40', '-s', 'keyframe', '-o', save, name]);
    // The rest arrives live, while the consumer waits on the futex.
    await new Promise((resolve) => setTimeout(resolve, 100));
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
    const writer = ShmWriter.create(name, { totalBytes: ringBytesFor(4, w * h * 3), slots: 4 });
    writer.setStreamInfo({
      codec: 'rgb24',
      width: w,
      height: h,
      fps: 15,
      pixelFormat: 'rgb24',
      stride: w * 3,
    });
    const picture = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 7) & 0xff);
    const path = join(out, 'c.ppm');
    const done = run(binary, ['-p', path, name]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    writer.publish(picture, Date.now(), true);
    const { code, stdout, stderr } = await done;
    writer.close();
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^picture seq=1 width=40 height=30 stride=120 format=1 path=/);
    const ppm = readFileSync(path);
    const header = Buffer.from('P6\n40 30\n255\n');
    expect(ppm.subarray(0, header.length)).toEqual(header);
    expect(Buffer.compare(ppm.subarray(header.length), Buffer.from(picture))).toBe(0);
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
