// The loader against package layouts made here: real shared objects, compiled by this test with
// the host compiler (a minimal N-API addon that exports `built`) and Debian's riscv64 cross
// compiler (the same addon for riscv64, what a cross build leaves in build/Release).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addonCandidates,
  addonErrorCode,
  currentTarget,
  detectLibc,
  elfArch,
  loadAddon,
} from './index';

const work = mkdtempSync(join(tmpdir(), 'cam-addon-loader-'));
const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
const x64Addon = join(work, 'x64.node');
const riscv64Addon = join(work, 'riscv64.node');
const name = '@cam+example';

// A minimal N-API addon: exports { built: BUILT }.
function compile(compiler: string, built: string, out: string): void {
  const source = join(work, `${built}.c`);
  writeFileSync(
    source,
    `#include <node_api.h>
     NAPI_MODULE_INIT() {
       napi_value value;
       napi_create_string_utf8(env, "${built}", NAPI_AUTO_LENGTH, &value);
       napi_set_named_property(env, exports, "built", value);
       return exports;
     }`,
  );
  execFileSync(compiler, ['-shared', '-fPIC', '-O1', '-I', nodeInclude, source, '-o', out]);
}

/** A package directory holding `files` (relative path → addon to copy there). */
function layout(files: Record<string, string>): string {
  const root = mkdtempSync(join(work, 'pkg-'));
  writeFileSync(join(root, 'package.json'), '{"name":"@cam/example"}');
  for (const [path, from] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    copyFileSync(from, join(root, path));
  }
  return root;
}

beforeAll(() => {
  compile('cc', 'x64', x64Addon);
  compile('riscv64-linux-gnu-gcc', 'riscv64', riscv64Addon);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('detectLibc', () => {
  it('finds glibc on Debian, from Node itself', () => {
    expect(detectLibc()).toBe('glibc');
    expect(currentTarget()).toEqual({ platform: 'linux', arch: process.arch, libc: 'glibc' });
  });
});

describe('elfArch', () => {
  it('reads the machine of an ELF file', () => {
    expect(elfArch(x64Addon)).toBe('x64');
    expect(elfArch(riscv64Addon)).toBe('riscv64');
    expect(elfArch(join(work, 'x64.c'))).toBe('not ELF');
  });
});

describe('addonCandidates', () => {
  it('skips a build/Release of another architecture and takes the prebuild', () => {
    const root = layout({
      'build/Release/cam_example.node': riscv64Addon,
      [`prebuilds/linux-x64/${name}.glibc.node`]: x64Addon,
    });
    const target = { platform: 'linux', arch: 'x64', libc: 'glibc' } as const;
    expect(addonCandidates(root, target)).toEqual({
      files: [join(root, `prebuilds/linux-x64/${name}.glibc.node`)],
      skipped: [`${join(root, 'build/Release/cam_example.node')}: built for riscv64, this is x64`],
    });
    expect(loadAddon<{ built: string }>(root, target).built).toBe('x64');
  });

  it('prefers a build/Release of this architecture to the prebuilds (a local build is newer)', () => {
    const root = layout({
      'build/Release/cam_example.node': riscv64Addon,
      [`prebuilds/linux-riscv64/${name}.glibc.node`]: riscv64Addon,
    });
    expect(addonCandidates(root, { platform: 'linux', arch: 'riscv64', libc: 'glibc' })).toEqual({
      files: [
        join(root, 'build/Release/cam_example.node'),
        join(root, `prebuilds/linux-riscv64/${name}.glibc.node`),
      ],
      skipped: [],
    });
  });

  it("takes the prebuild of the target's libc, whatever /etc says, then an untagged one", () => {
    const root = layout({
      [`prebuilds/linux-riscv64/${name}.glibc.node`]: riscv64Addon,
      [`prebuilds/linux-riscv64/${name}.musl.node`]: riscv64Addon,
      [`prebuilds/linux-riscv64/${name}.node`]: riscv64Addon,
      [`prebuilds/linux-arm64/${name}.glibc.node`]: riscv64Addon,
      [`prebuilds/linux-x64/${name}.glibc.node`]: x64Addon,
      'prebuilds/linux-x64/README.txt': x64Addon,
    });
    const riscv64 = (libc: 'glibc' | 'musl') =>
      addonCandidates(root, { platform: 'linux', arch: 'riscv64', libc }).files;
    expect(riscv64('musl')).toEqual([
      join(root, `prebuilds/linux-riscv64/${name}.musl.node`),
      join(root, `prebuilds/linux-riscv64/${name}.node`),
    ]);
    expect(riscv64('glibc')).toEqual([
      join(root, `prebuilds/linux-riscv64/${name}.glibc.node`),
      join(root, `prebuilds/linux-riscv64/${name}.node`),
    ]);
    expect(addonCandidates(root, { platform: 'linux', arch: 'x64', libc: 'musl' }).files).toEqual(
      [],
    );
    expect(addonCandidates(root, { platform: 'darwin', arch: 'x64', libc: 'glibc' })).toEqual({
      files: [],
      skipped: [],
    });
  });
});

describe('loadAddon', () => {
  it('says in one line what it tried when nothing loads', () => {
    const root = layout({
      'build/Release/cam_example.node': riscv64Addon,
      [`prebuilds/linux-x64/${name}.glibc.node`]: riscv64Addon,
    });
    let message = '';
    try {
      loadAddon(root, { platform: 'linux', arch: 'x64', libc: 'glibc' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      new RegExp(
        `^no native addon loads for linux-x64 glibc \\(Node ${process.versions.node}\\) in ${root}: ` +
          `tried ${root}/build/Release/cam_example.node: built for riscv64, this is x64; ` +
          `${root}/prebuilds/linux-x64/@cam\\+example.glibc.node: .+$`,
      ),
    );
  });

  it('says when there is nothing to try', () => {
    const root = layout({});
    expect(() => loadAddon(root)).toThrow(
      `no native addon loads for linux-${process.arch} glibc (Node ${process.versions.node}) in ${root}: no build/Release and no matching prebuild`,
    );
  });
});

describe('addonErrorCode', () => {
  it("reads an addon error's string code, and nothing from anything else", () => {
    expect(addonErrorCode(Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('EACCES');
    expect(addonErrorCode(Object.assign(new Error('x'), { code: 13 }))).toBeUndefined();
    expect(addonErrorCode(new Error('plain'))).toBeUndefined();
    expect(addonErrorCode({ code: 'EACCES' })).toBeUndefined();
    expect(addonErrorCode('EACCES')).toBeUndefined();
    expect(addonErrorCode(undefined)).toBeUndefined();
  });
});
