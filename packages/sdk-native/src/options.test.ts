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
    });
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
