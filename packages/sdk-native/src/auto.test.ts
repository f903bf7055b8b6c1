import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseAuto, listVideoDevices } from './auto.js';
import { openCamera } from './camera.js';

const dir = mkdtempSync(join(tmpdir(), 'cam-auto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const want = { width: 640, height: 480 };
const absent = { available: false, reason: 'no /dev/cvi-vi' };

describe('listVideoDevices', () => {
  it('lists videoN nodes in numeric order', () => {
    for (const name of ['video10', 'video2', 'video0', 'videoX', 'video-1', 'media0']) {
      writeFileSync(join(dir, name), '');
    }
    expect(listVideoDevices(dir)).toEqual([`${dir}/video0`, `${dir}/video2`, `${dir}/video10`]);
    expect(listVideoDevices(join(dir, 'missing'))).toEqual([]);
  });
});

describe('chooseAuto', () => {
  it('takes the reCamera camera when it is present, saying why', () => {
    const present = { available: true, reason: '/dev/cvi-vi is present and the libraries load' };
    expect(chooseAuto(present, ['/dev/null'], want)).toEqual({
      kind: 'sophgo',
      reason: 'auto: reCamera camera (/dev/cvi-vi is present and the libraries load)',
    });
  });

  it('falls back to the test pattern, saying why each device was skipped', () => {
    const file = join(dir, 'video0');
    const choice = chooseAuto(absent, [file, '/dev/null', '/dev/video77'], want);
    expect(choice.kind).toBe('test');
    expect(choice.reason).toContain('no usable V4L2 camera');
    expect(choice.reason).toContain(`${file}: not a character device`);
    expect(choice.reason).toContain('/dev/null: VIDIOC_QUERYCAP');
    expect(choice.reason).toContain('/dev/video77: ENOENT');
  });

  it('says when there are no devices at all', () => {
    expect(chooseAuto(absent, [], want)).toEqual({
      kind: 'test',
      reason: 'auto: no reCamera camera (no /dev/cvi-vi) and no /dev/video* device: test pattern',
    });
  });
});

describe('auto source', () => {
  it('opens the test pattern here (no reCamera, no camera) and reports why', async () => {
    const camera = await openCamera({ source: 'auto', width: 160, height: 120, fps: 30 });
    expect(camera.info).toMatchObject({ source: 'test', backend: 'test', width: 160, height: 120 });
    expect(camera.info.reason).toMatch(/^auto: no reCamera camera \(no \/dev\/cvi-vi\) and /);
    const frame = await new Promise((resolve) => camera.once('frame', resolve));
    expect(frame).toMatchObject({ keyframe: true, sequence: 0 });
    await camera.close();
  });
});

describe('sophgo source', () => {
  it('says what is missing on a machine that is no reCamera', async () => {
    const error = await openCamera({ source: 'sophgo' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
    expect((error as Error).message).toMatch(/^camera sophgo: sophgo: no \/dev\/cvi-vi: /);
  });
});
