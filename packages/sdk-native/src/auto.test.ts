import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseAuto, listVideoDevices } from './auto.js';
import { openCamera } from './camera.js';

const dir = mkdtempSync(join(tmpdir(), 'cam-auto-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const want = { width: 640, height: 480 };

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
  it('takes the Sophgo encoder when it is built in', () => {
    expect(chooseAuto(true, ['/dev/null'], want)).toEqual({
      kind: 'sophgo',
      reason: 'auto: the Sophgo SDK is built into this addon',
    });
  });

  it('falls back to the test pattern, saying why each device was skipped', () => {
    const file = join(dir, 'video0');
    const choice = chooseAuto(false, [file, '/dev/null', '/dev/video77'], want);
    expect(choice.kind).toBe('test');
    expect(choice.reason).toContain('no usable V4L2 camera');
    expect(choice.reason).toContain(`${file}: not a character device`);
    expect(choice.reason).toContain('/dev/null: VIDIOC_QUERYCAP');
    expect(choice.reason).toContain('/dev/video77: ENOENT');
  });

  it('says when there are no devices at all', () => {
    expect(chooseAuto(false, [], want)).toEqual({
      kind: 'test',
      reason: 'auto: no Sophgo SDK in this build and no /dev/video* device: test pattern',
    });
  });
});

describe('auto source', () => {
  it('opens the test pattern here (no SDK, no camera) and reports why', async () => {
    const camera = await openCamera({ source: 'auto', width: 160, height: 120, fps: 30 });
    expect(camera.info).toMatchObject({ source: 'test', backend: 'test', width: 160, height: 120 });
    expect(camera.info.reason).toMatch(/^auto: no Sophgo SDK in this build and /);
    const frame = await new Promise((resolve) => camera.once('frame', resolve));
    expect(frame).toMatchObject({ keyframe: true, sequence: 0 });
    await camera.close();
  });
});

describe('sophgo source', () => {
  it('is a clear error in a build without the SDK', async () => {
    const error = await openCamera({ source: 'sophgo' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', parameter: 'source' });
    expect((error as Error).message).toMatch(/SG200X_SDK_PATH/);
  });
});
