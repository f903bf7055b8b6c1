// The built CLI (dist/cli.js) as a user runs it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ShmWriter } from '@cam/shm';
import { describe, expect, it } from 'vitest';
import { encodeH264, segmentsOfThisTest } from '../../../packages/shm/test/helpers';

// Unique names; their segments are removed after each test, even a failed one.
const segmentName = segmentsOfThisTest();

const cli = join(import.meta.dirname, '..', 'dist', 'cli.js');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('cam-consumer', () => {
  it('reads N frames from a live segment and prints a report and the totals', () => {
    const name = segmentName();
    const writer = ShmWriter.create(name, { totalBytes: 4 << 20, slots: 64 });
    for (const au of encodeH264(30, 10)) writer.publish(au.data, Date.now(), au.keyframe);
    const r = run('--name', name, '--frames', '20', '--start', 'oldest');
    writer.close();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^fps=[\d.]+ bitrate=[\d.]+Mbit\/s latency_ms\(p50\/max\)=\d+\/\d+ gaps=0 lost=0 overwritten=0 keyframes=2$/m,
    );
    expect(r.stdout.trim().split('\n').at(-1)).toBe(
      'total frames=20 lost=0 gaps=0 overwritten=0 saved=0',
    );
  });

  it('exits 1 with a one-line error naming the flag or the segment', () => {
    expect(run('--frames', '0')).toMatchObject({
      status: 1,
      stderr: 'cam-consumer: --frames: want a positive integer, got 0\n',
    });
    expect(run('--start', 'middle')).toMatchObject({
      status: 1,
      stderr: 'cam-consumer: --start: want newest-keyframe, next or oldest, got middle\n',
    });
    const name = segmentName();
    expect(run('--name', name)).toMatchObject({
      status: 1,
      stderr: `cam-consumer: shm open ${name}: no such segment (ENOENT)\n`,
    });
    expect(run('--help')).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^usage: cam-consumer/),
    });
  });
});
