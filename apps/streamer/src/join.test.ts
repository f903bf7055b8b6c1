import { describe, expect, it } from 'vitest';
import { tick } from '../test/harness';
import { chooseJoin, forcesKeyframes, KeyframeRequests } from './join';

describe('forcesKeyframes / chooseJoin', () => {
  it('says which cameras make an IDR on request', () => {
    expect(forcesKeyframes({ backend: 'test', gop: 30 })).toBe(true);
    expect(forcesKeyframes({ backend: 'sophgo', gop: 30 })).toBe(true);
    expect(forcesKeyframes({ backend: 'v4l2', gop: 30 })).toBe(true); // YUYV through OpenH264
    expect(forcesKeyframes({ backend: 'v4l2', gop: 0 })).toBe(false); // H.264 passthrough
    expect(forcesKeyframes({ backend: 'file', gop: 30 })).toBe(false);
  });

  it('auto picks keyframe where the camera can make one, else gop; a setting is kept', () => {
    expect(chooseJoin('auto', { backend: 'test', gop: 30 })).toEqual({
      policy: 'keyframe',
      reason: 'the test source makes an IDR on request',
    });
    expect(chooseJoin('auto', { backend: 'file', gop: 30 })).toEqual({
      policy: 'gop',
      reason: 'the file source cannot make an IDR on request',
    });
    expect(chooseJoin('gop', { backend: 'test', gop: 30 }).policy).toBe('gop');
    expect(chooseJoin('keyframe', { backend: 'file', gop: 30 })).toEqual({
      policy: 'keyframe',
      reason: 'requested',
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
