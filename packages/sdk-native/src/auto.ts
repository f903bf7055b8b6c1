import { readdirSync } from 'node:fs';
import type { V4l2Size } from './native.js';
import type { SophgoPresence } from './sophgo.js';
import { chooseFormat, probeDevice, type V4l2Choice } from './v4l2.js';

export type AutoChoice =
  | { kind: 'sophgo'; reason: string }
  | { kind: 'v4l2'; path: string; choice: V4l2Choice; reason: string }
  | { kind: 'test'; reason: string };

/** /dev/video0, /dev/video1, ... in numeric order. */
export function listVideoDevices(dir = '/dev'): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no /dev (a sandbox): no cameras
  }
  return names
    .filter((name) => /^video\d+$/.test(name))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((name) => `${dir}/${name}`);
}

/**
 * What `auto` opens: the reCamera's camera when it is present (see probeSophgo), else the first
 * device that opens as a V4L2 capture device with a format we can stream, else the test
 * pattern. The reason says what was tried, so the streamer can log why.
 */
export function chooseAuto(sophgo: SophgoPresence, devices: string[], want: V4l2Size): AutoChoice {
  if (sophgo.available)
    return { kind: 'sophgo', reason: `auto: reCamera camera (${sophgo.reason})` };
  const skipped: string[] = [];
  for (const path of devices) {
    try {
      const choice = chooseFormat(probeDevice(path), want, path);
      const before = skipped.length ? ` (skipped ${skipped.join('; ')})` : '';
      return { kind: 'v4l2', path, choice, reason: `auto: first usable V4L2 camera${before}` };
    } catch (error) {
      skipped.push((error as Error).message);
    }
  }
  const cameras = devices.length
    ? `no usable V4L2 camera (${skipped.join('; ')})`
    : 'no /dev/video* device';
  return {
    kind: 'test',
    reason: `auto: no reCamera camera (${sophgo.reason}) and ${cameras}: test pattern`,
  };
}
