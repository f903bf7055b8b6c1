import { describe, expect, it } from 'vitest';
import { thrown } from '../test/errors.js';
import { CAMERA_DEFAULTS, parseSource, resolveOptions } from './options.js';

describe('parseSource', () => {
  it('accepts every documented form', () => {
    expect(parseSource('auto')).toEqual({ kind: 'auto' });
    expect(parseSource('test')).toEqual({ kind: 'test' });
    expect(parseSource('sophgo')).toEqual({ kind: 'sophgo' });
    expect(parseSource('file:/tmp/a b.h264')).toEqual({ kind: 'file', path: '/tmp/a b.h264' });
    expect(parseSource('v4l2:/dev/video2')).toEqual({ kind: 'v4l2', path: '/dev/video2' });
  });

  it.each(['', 'camera', 'file:', 'v4l2:', 'v4l2:video0', 'TEST', 42])(
    'rejects %j naming source',
    (source) => {
      const error = thrown(() => parseSource(source));
      expect(error.code).toBe('INVALID_PARAMETER');
      expect(error.parameter).toBe('source');
    },
  );
});

describe('resolveOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveOptions({ source: 'test' })).toEqual({
      source: { kind: 'test' },
      ...CAMERA_DEFAULTS,
      fpsGiven: false,
      streams: [{ ...CAMERA_DEFAULTS, format: 'h264' }],
    });
  });

  it('takes streams: stream 0 gives the camera its size and rate, raw streams no bitrate', () => {
    const o = resolveOptions({
      source: 'test',
      bitrateKbps: 900,
      streams: [
        { width: 640, height: 480, fps: 30 },
        { width: 320, height: 320, fps: 15, format: 'rgb', bitrateKbps: 5 },
      ],
    });
    expect(o).toMatchObject({ width: 640, height: 480, fps: 30, fpsGiven: true });
    expect(o.streams).toEqual([
      { width: 640, height: 480, fps: 30, bitrateKbps: 900, gop: 30, format: 'h264' },
      { width: 320, height: 320, fps: 15, bitrateKbps: 0, gop: 0, format: 'rgb' },
    ]);
    const bad = (streams: unknown, message: RegExp) =>
      expect(() => resolveOptions({ source: 'test', streams } as never)).toThrow(message);
    bad([], /streams: expected 1\.\.8 stream options, got 0/);
    bad(
      [{ width: 64, height: 64, fps: 5, format: 'yuv' }],
      /streams\[0\]\.format: expected one of h264, rgb, nv12, rgbp/,
    );
    bad([{ width: 64, height: 63, fps: 5 }], /streams\[0\]\.height: must be even/);
    bad([{ width: 64, height: 64, fps: 5, format: 'rgb' }], /stream 0 must be h264/);
  });

  it('keeps given values', () => {
    const o = resolveOptions({
      source: 'test',
      width: 320,
      height: 240,
      fps: 5,
      bitrateKbps: 300,
      gop: 1,
    });
    expect(o).toMatchObject({
      width: 320,
      height: 240,
      fps: 5,
      bitrateKbps: 300,
      gop: 1,
      fpsGiven: true,
    });
  });

  it.each([
    ['width', { width: 321 }, /even/],
    ['height', { height: 241 }, /even/],
    ['width', { width: 8 }, /16 to 4096/],
    ['height', { height: 1.5 }, /integer/],
    ['fps', { fps: 0 }, /1 to 120/],
    ['fps', { fps: Number.NaN }, /NaN/],
    ['bitrateKbps', { bitrateKbps: 10 }, /64 to 100000/],
    ['bitrateKbps', { bitrateKbps: 1e9 }, /64 to 100000/],
    ['gop', { gop: 0 }, /1 to 3600/],
    ['source', { source: 'rtsp://x' }, /unknown source/],
  ])('rejects bad %s %j', (parameter, bad, message) => {
    const error = thrown(() => resolveOptions({ source: 'test', ...bad }));
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.parameter).toBe(parameter);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`${parameter}:`)).toBe(true);
  });
});
