import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Camera, openCamera } from '@cam/sdk-native';
import { describe, expect, it } from 'vitest';
import { concat, makeH264 } from '../test/h264';
import { tick } from '../test/harness';
import { chooseJoin, KeyframeRequests } from './join';

/** The info of a real camera, which is closed again. */
async function infoOf(open: Promise<Camera>) {
  const camera = await open;
  await camera.close();
  return camera.info;
}

describe('chooseJoin', () => {
  it('auto: keyframe for the test camera, gop for a replayed file, as @cam/sdk-native reports them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cam-join-'));
    try {
      const file = join(dir, 'clip.h264');
      writeFileSync(file, concat((await makeH264({ frames: 10, gop: 5 })).map((u) => u.data)));
      const test = await infoOf(openCamera({ source: 'test', width: 64, height: 48 }));
      const replay = await infoOf(openCamera({ source: `file:${file}` }));
      expect(chooseJoin('auto', test)).toEqual({
        policy: 'keyframe',
        reason: 'the test source makes an IDR on request',
      });
      expect(chooseJoin('auto', replay)).toEqual({
        policy: 'gop',
        reason: 'the file source cannot make an IDR on request',
      });
      // A setting is kept, whatever the camera can do.
      expect(chooseJoin('gop', test)).toEqual({ policy: 'gop', reason: 'requested' });
      expect(chooseJoin('keyframe', replay)).toEqual({ policy: 'keyframe', reason: 'requested' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('auto follows keyframeOnRequest, not the backend (V4L2 YUYV vs H.264 passthrough)', () => {
    expect(chooseJoin('auto', { backend: 'v4l2', keyframeOnRequest: true }).policy).toBe(
      'keyframe',
    );
    expect(chooseJoin('auto', { backend: 'v4l2', keyframeOnRequest: false })).toEqual({
      policy: 'gop',
      reason: 'the v4l2 source cannot make an IDR on request',
    });
  });
});

describe('KeyframeRequests', () => {
  it('coalesces: one request now, the next at the end of the interval unless an IDR came', async () => {
    let requests = 0;
    const k = new KeyframeRequests(() => requests++, 50);
    k.want();
    k.want();
    k.want();
    expect(requests).toBe(1);
    for (let i = 0; i < 100 && requests < 2; i++) await tick(10);
    expect(requests).toBe(2);
    k.want(); // inside the interval: scheduled...
    k.keyframeSent(); // ...and made moot by an IDR
    await tick(120);
    expect(requests).toBe(2);
    k.want(); // past the interval: at once
    expect(requests).toBe(3);
    k.want();
    k.cancel();
    await tick(120);
    expect(requests).toBe(3);
  });

  it('keeps a flood of joiners to one request per interval', async () => {
    let requests = 0;
    const k = new KeyframeRequests(() => requests++, 50);
    const start = performance.now();
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 5; j++) k.want();
      await tick(5);
    }
    const elapsed = performance.now() - start;
    k.cancel();
    console.log(`200 joiners over ${Math.round(elapsed)} ms: ${requests} keyframe requests`);
    expect(requests).toBeGreaterThan(1);
    expect(requests).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 50));
  });
});
