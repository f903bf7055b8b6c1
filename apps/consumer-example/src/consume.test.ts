import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShmWriter } from '@cam/shm';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeH264, segmentsOfThisTest } from '../../../packages/shm/test/helpers';
import { consume } from './consume';

// Unique names; their segments are removed after each test, even a failed one.
const segmentName = segmentsOfThisTest();

const dir = mkdtempSync(join(tmpdir(), 'cam-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('consume', () => {
  it('reads a live stream, logs fps/bitrate/latency/gaps, and saves a .h264 that ffmpeg decodes', async () => {
    const aus = encodeH264(90, 30);
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 4 << 20, slots: 16 });
    writer.setStreamInfo({ codec: 'avc1.64000d', width: 320, height: 240, fps: 30 });
    const lines: string[] = [];
    const save = join(dir, 'out.h264');
    const done = consume({
      name,
      frames: 60,
      save,
      start: 'next',
      intervalMs: 50,
      log: (l) => lines.push(l),
    });
    // Begin mid-GOP: the consumer must skip to the first keyframe before saving.
    let i = 10;
    const timer = setInterval(() => {
      const au = aus[i++ % aus.length];
      if (au) writer.publish(au.data, Date.now(), au.keyframe);
    }, 2);
    const summary = await done;
    clearInterval(timer);
    writer.close();
    expect(summary).toMatchObject({ frames: 60, lost: 0, gaps: 0, overwritten: 0 });
    expect(summary.keyframes).toBeGreaterThanOrEqual(1);
    expect(summary.saved).toBeGreaterThan(0);
    expect(summary.saved).toBeLessThan(60); // frames before the first keyframe were not saved
    expect(lines[0]).toBe('stream avc1.64000d 320x240 @ 30 fps');
    expect(lines.at(-1)).toMatch(
      /^fps=\d+\.\d bitrate=\d+\.\d\dMbit\/s latency_ms\(p50\/max\)=\d+\/\d+ gaps=0 lost=0 overwritten=0 keyframes=\d+$/,
    );
    expect(statSync(save).size).toBeGreaterThan(0);
    const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', save, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(decoded.split('\n').filter((l) => l && !l.startsWith('#')).length).toBe(summary.saved);
  });

  it('after a gap saves nothing until the next keyframe, so the recording decodes', async () => {
    const aus = encodeH264(90, 30);
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 2 << 20, slots: 8 });
    const save = join(dir, 'gap.h264');
    const done = consume({ name, frames: 36, save, start: 'next', log: () => {} });
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    // Frames 1-5 one at a time, then 20 at once (the reader falls a ring behind: a gap in the
    // middle of the first GOP), then the rest one at a time.
    for (const au of aus.slice(0, 5)) {
      writer.publish(au.data, Date.now(), au.keyframe);
      await tick();
    }
    for (const au of aus.slice(5, 25)) writer.publish(au.data, Date.now(), au.keyframe);
    for (const au of aus.slice(25)) {
      writer.publish(au.data, Date.now(), au.keyframe);
      await tick();
    }
    const summary = await done;
    writer.close();
    // The reader wakes with frame 26 published and 8 slots: read 1-5, 20-26 (14 lost), 27-50.
    // Saved: 1-5 and from keyframe 31 on; skipped: 20-30.
    expect(summary).toMatchObject({ frames: 36, gaps: 1, lost: 14, saved: 5 + 20, skipped: 11 });
    const decoded = execFileSync('ffmpeg', ['-v', 'error', '-i', save, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
    });
    expect(decoded.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(25);
  });
});
