import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonCandidates, detectLibc, loadNative } from './native.js';

const root = mkdtempSync(join(tmpdir(), 'cam-loader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('addonCandidates', () => {
  for (const file of [
    'linux-riscv64/@cam+sdk-native.musl.node',
    'linux-x64/@cam+sdk-native.glibc.node',
    'linux-x64/@cam+sdk-native.musl.node',
    'linux-arm64/@cam+sdk-native.node',
    'linux-x64/README.txt',
  ]) {
    mkdirSync(join(root, 'prebuilds', file, '..'), { recursive: true });
    writeFileSync(join(root, 'prebuilds', file), '');
  }
  const release = join(root, 'build/Release/cam_camera.node');

  it('finds the musl riscv64 prebuild on a musl board, whatever /etc says', () => {
    expect(addonCandidates(root, { platform: 'linux', arch: 'riscv64', libc: 'musl' })).toEqual([
      join(root, 'prebuilds/linux-riscv64/@cam+sdk-native.musl.node'),
      release,
    ]);
  });

  it('never offers a prebuild of the other libc', () => {
    expect(addonCandidates(root, { platform: 'linux', arch: 'riscv64', libc: 'glibc' })).toEqual([
      release,
    ]);
    expect(addonCandidates(root, { platform: 'linux', arch: 'x64', libc: 'glibc' })).toEqual([
      join(root, 'prebuilds/linux-x64/@cam+sdk-native.glibc.node'),
      release,
    ]);
  });

  it('takes an untagged prebuild for either libc, and a local build last', () => {
    expect(addonCandidates(root, { platform: 'linux', arch: 'arm64', libc: 'musl' })).toEqual([
      join(root, 'prebuilds/linux-arm64/@cam+sdk-native.node'),
      release,
    ]);
    expect(addonCandidates(root, { platform: 'darwin', arch: 'arm64', libc: 'glibc' })).toEqual([
      release,
    ]);
  });
});

describe('loadNative', () => {
  it('detects glibc on Debian', () => {
    expect(detectLibc()).toBe('glibc');
  });

  it('loads the addon once, with the backends it was built with', () => {
    const addon = loadNative();
    expect(loadNative()).toBe(addon);
    expect(addon.encoderVersion()).toMatch(/^OpenH264 2\./);
    // The reCamera's libraries are looked for at run time, under the board's folders.
    expect(addon.probeSophgo('/nonexistent')).toMatch(
      /^sophgo: libsys\.so not found in \/nonexistent\/mnt\/system\/usr\/lib, /,
    );
    expect(addon.queueFrames).toBe(8);
  });
});
