import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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
    // How many frames the reader got before the burst depends on the machine's load; what must
    // hold whatever it got: the burst made a gap, and the file is runs of consecutive frames,
    // each starting at a keyframe (a run breaks only at a gap), that ffmpeg decodes cleanly.
    expect(summary).toMatchObject({ frames: 36 });
    expect(summary.gaps).toBeGreaterThanOrEqual(1);
    expect(summary.saved).toBeGreaterThan(0);
    const saved = readFileSync(save);
    const kept: number[] = [];
    for (let at = 0; at < saved.length; ) {
      const i = aus.findIndex(
        (au, j) =>
          j > (kept.at(-1) ?? -1) && saved.subarray(at, at + au.data.length).equals(au.data),
      );
      expect(i, `saved bytes at ${at} are no frame of the stream`).toBeGreaterThanOrEqual(0);
      kept.push(i);
      at += (aus[i] as { data: Uint8Array }).data.length;
    }
    expect(kept).toHaveLength(summary.saved);
    const runStarts = kept.filter((i, k) => k === 0 || i !== (kept[k - 1] as number) + 1);
    expect(runStarts.every((i) => aus[i]?.keyframe)).toBe(true);
    const decoded = spawnSync('ffmpeg', ['-v', 'error', '-i', save, '-f', 'framemd5', '-'], {
      encoding: 'utf8',
    });
    expect(decoded.stderr).toBe('');
    expect(decoded.stdout.split('\n').filter((l) => l && !l.startsWith('#'))).toHaveLength(
      summary.saved,
    );
  });
});
