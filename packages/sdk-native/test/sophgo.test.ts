// The `sophgo` backend against stand-in vendor libraries (TEST DOUBLES: test/cvi-standin.c; no
// board here). Each run is its own process (the libraries load once per process): the backend's
// self-test program (native/camera/cam_sophgo_selftest.cpp), built for this machine (glibc), for
// musl (run by musl's own loader) and for riscv64 (under qemu-riscv64-static).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildLibrary,
  buildSelftest,
  copyRoot,
  encodeClip,
  LIB,
  leaked,
  makeRoot,
  runPrefix,
  standinEnv,
  startCalls,
  type Target,
} from './standin';

const dir = mkdtempSync(join(tmpdir(), 'cam-sophgo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let runs = 0;

interface Run {
  status: number | null;
  out: string;
  log: string;
  leaks: string[];
  prefix: string;
}

/** Runs the self-test once: FRAMES per stream, streams as WxH@FPS:KBPS:GOP or WxH@FPS:FORMAT. */
function run(
  target: Target,
  program: string,
  root: string,
  streams: string[],
  env: NodeJS.ProcessEnv = {},
  frames = 40,
  wrap: string[] = [],
): Run {
  const n = runs++;
  const log = join(dir, `log-${n}`);
  const prefix = join(dir, `out-${n}`);
  const argv = [...wrap, ...runPrefix(target), program, String(frames), prefix, ...streams];
  const result = spawnSync(argv[0] as string, argv.slice(1), {
    env: { ...process.env, ...standinEnv(root, dir, log), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  let text = '';
  try {
    text = readFileSync(log, 'utf8');
  } catch {}
  return {
    status: result.status,
    out: result.stdout + result.stderr,
    log: text,
    leaks: leaked(log),
    prefix,
  };
}

function decode(file: string): { frames: number; errors: string } {
  const result = spawnSync(
    'ffmpeg',
    ['-v', 'error', '-f', 'h264', '-i', file, '-f', 'framecrc', '-'],
    {
      encoding: 'utf8',
    },
  );
  return {
    frames: result.stdout.split('\n').filter((l) => /^\d+,/.test(l)).length,
    errors: result.stderr + (result.status === 0 ? '' : `exit ${result.status}`),
  };
}

const ONE = ['640x360@30:1000:30'];
const TWO = ['640x360@30:1000:30', '320x180@15:300:15'];

beforeAll(() => {
  encodeClip(dir, 640, 360);
  encodeClip(dir, 320, 180);
  // The self-test runs as an unprivileged user in one test: let it read the folder.
  chmodSync(dir, 0o755);
});

describe.each(['glibc', 'musl', 'riscv64'] as const)(
  'sophgo backend on %s, stand-in libraries',
  (target) => {
    let root: string;
    let program: string;
    beforeAll(() => {
      root = makeRoot(target, dir);
      program = buildSelftest(target, dir);
    }, 600_000);

    it('streams two sizes from one sensor that ffmpeg decodes, sets what it should, and frees everything', () => {
      const r = run(target, program, root, TWO, {}, 20);
      expect(r.out).toMatch(
        /^opened Sophgo hardware H\.264 \(CBR\), sensor OV5647, ISP tuning .*ov_ov5647_sdr\.bin$/m,
      );
      // Until the 15 fps stream has 20 frames, the 30 fps one has about twice as many.
      const counts = /^ok stream0=(\d+)\/\d+ stream1=(\d+)\/\d+ bad=0$/m.exec(r.out);
      expect(counts, r.out).not.toBeNull();
      expect(Number(counts?.[1])).toBeGreaterThanOrEqual(20);
      expect(Number(counts?.[2])).toBe(20);
      expect(r.status).toBe(0);
      expect(r.log).not.toMatch(/REJECT/);
      expect(r.leaks).toEqual([]);
      // What the backend set, as the stand-ins saw it.
      expect(r.log).toMatch(/^sensor_probe ov5647 pipe=0 bus=2 addr=0x36 answered$/m);
      expect(r.log).toMatch(/^CVI_VB_SetConfig pool=0 size=345600 count=4 remap=2$/m);
      expect(r.log).toMatch(/^CVI_VI_SetDevAttr dev=0 intf=5 size=1920x1080 bayer=0 wdr=0$/m);
      expect(r.log).toMatch(
        /^CVI_VPSS_SetChnAttr grp=0 chn=1 size=320x180 pixel=19 fps=-1\/-1 depth=0$/m,
      );
      expect(r.log).toMatch(
        /^CVI_VENC_CreateChn chn=0 payload=96 size=640x360 max=640x360 buf=524288 byframe=1 rc=1 gop=30 fps=30\/30 bitrate=1000 gopmode=0$/m,
      );
      expect(r.log).toMatch(/^CVI_VENC_CreateChn chn=1 .* gop=15 fps=30\/15 bitrate=300 /m);
      expect(r.log).toMatch(/^CVI_SYS_Bind 6\/0\/1 -> 7\/0\/1$/m);
      expect(r.log).toMatch(/^CVI_VENC_RequestIDR chn=0 instant=1$/m);
      // Teardown in reverse: the encoders go before VPSS, VPSS before VI, VI before SYS/VB.
      const order = [
        '-bind:0',
        '-venc-chn:0',
        '-vpss-grp:0',
        '-isp-run:0',
        '-vi-pipe:0',
        '-sys:0',
        '-vb:0',
      ];
      const at = order.map((line) => r.log.split('\n').indexOf(line));
      expect(at).toEqual([...at].sort((a, b) => a - b));
      for (const stream of [0, 1]) {
        const decoded = decode(`${r.prefix}.${stream}`);
        expect(decoded.errors).toBe('');
        expect(decoded.frames).toBe(Number(counts?.[stream + 1]));
      }
    });

    it('copies a raw RGB planar channel out of VPSS beside H.264: packed rows, the pixels VPSS made', () => {
      const [w, h] = [64, 48];
      const r = run(target, program, root, ['640x360@30:1000:30', `${w}x${h}@15:rgbp`], {}, 10);
      const counts = /^ok stream0=(\d+)\/\d+ stream1=(\d+)\/(\d+) bad=0$/m.exec(r.out);
      expect(counts, r.out).not.toBeNull();
      expect(counts?.[3]).toBe(counts?.[2]); // every picture stands alone: a keyframe
      expect(r.status).toBe(0);
      expect(r.log).not.toMatch(/REJECT/);
      expect(r.leaks).toEqual([]); // every picture released, every plane unmapped
      // An RGB planar VPSS channel at its own rate, kept for us; no encoder bound to it.
      expect(r.log).toMatch(
        /^CVI_VPSS_SetChnAttr grp=0 chn=1 size=64x48 pixel=2 fps=30\/15 depth=1$/m,
      );
      expect(r.log).toMatch(/^CVI_VB_SetConfig pool=1 size=9216 count=4 remap=2$/m); // 3 × 64 × 48
      expect(r.log).not.toMatch(/^CVI_VENC_CreateChn chn=1 /m);
      expect(r.log).not.toMatch(/^CVI_SYS_Bind 6\/0\/1 /m);
      // The pictures, rows packed (the stand-in padded each to 64 bytes with 0xEE: none left).
      const pictures = readFileSync(`${r.prefix}.1`);
      const size = 3 * w * h;
      expect(pictures.length % size).toBe(0);
      expect(pictures.length / size).toBeGreaterThanOrEqual(10);
      for (let n = 0; n < pictures.length / size; n++) {
        const picture = pictures.subarray(n * size, (n + 1) * size);
        const seq = picture[0] as number; // standin_pixel(seq, 0, 0, 0) = seq
        const want = Buffer.alloc(size);
        for (let plane = 0; plane < 3; plane++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              want[plane * w * h + y * w + x] = (seq + x * (plane + 1) + y * 3 + plane * 50) & 255;
            }
          }
        }
        expect(picture.equals(want), `picture ${n}`).toBe(true);
        expect(seq).toBe(n); // none skipped
      }
    });

    it.each(startCalls())(
      'undoes every stage reached when %s fails, with a one-line error',
      (call) => {
        const r = run(target, program, root, ONE, { STANDIN_FAIL: call });
        expect(r.log).toContain(`${call} FAIL injected`);
        expect(r.status).toBe(1);
        const error = r.out.trim().split('\n');
        expect(error).toHaveLength(1);
        const name = call.startsWith('sensor_') ? `stSnsOv5647_Obj.${call.slice(7)}` : call;
        expect(error[0]).toMatch(
          new RegExp(`^error DEVICE_FAILED: sophgo: .*${name}.* failed \\(0xc0008001\\): see`),
        );
        expect(r.leaks).toEqual([]);
      },
    );

    it('says ION memory is exhausted when the buffer pools cannot be made', () => {
      const r = run(target, program, root, ONE, { STANDIN_FAIL: 'CVI_VB_Init=0xC00D800C' });
      expect(r.out.trim()).toMatch(
        /^error DEVICE_NO_MEMORY: sophgo: CVI_VB_Init\(\) failed \(0xc00d800c\): ION memory exhausted: stop other camera programs/,
      );
      expect(r.leaks).toEqual([]);
    });

    it('ends the stream with an error, and tears down, when the encoder keeps failing', () => {
      const r = run(target, program, root, ONE, { STANDIN_FAIL: 'CVI_VENC_GetStream' }, 10);
      expect(r.out.trim().split('\n').at(-1)).toBe(
        'error CAPTURE_FAILED: sophgo: CVI_VENC_GetStream(0) failed 100 times in a row (0xc0008001)',
      );
      expect(r.leaks).toEqual([]);
    });

    it('reports a step of the teardown that fails, and still runs the others', () => {
      const r = run(target, program, root, ONE, { STANDIN_FAIL: 'CVI_VPSS_StopGrp' }, 10);
      expect(r.out.trim().split('\n').at(-1)).toMatch(
        /^error CAPTURE_FAILED: sophgo: closing: CVI_VPSS_StopGrp failed \(0xc0008001\): reboot if/,
      );
      expect(r.leaks).toEqual(['vpss-grp-started:0']);
    });

    it('says no sensor answered, naming those it tried', () => {
      const r = run(target, program, root, ONE, { STANDIN_SENSOR: 'none' });
      expect(r.out.trim()).toBe(
        'error DEVICE_NO_SENSOR: sophgo: no sensor answered on I2C bus 2 (OV5647 at 0x36, GC2053 at 0x3f): ' +
          "check the sensor's ribbon cable, then reboot",
      );
      expect(r.log).not.toMatch(/^\+/m);
    });

    it('refuses a stream larger than the sensor', () => {
      const r = run(target, program, root, ['2560x1440@30:1000:30']);
      expect(r.out.trim()).toBe(
        'error INVALID_PARAMETER: sophgo: the OV5647 captures at most 1920x1080 at 30 fps; asked for 2560x1440 at 30',
      );
    });

    it('says what is missing: the device node, a library, a symbol, LD_LIBRARY_PATH', () => {
      const noDevice = copyRoot(root, join(dir, `nodev-${target}`));
      unlinkSync(join(noDevice, 'dev/cvi-vi'));
      expect(run(target, program, noDevice, ONE).out.trim()).toBe(
        `error DEVICE_NOT_FOUND: sophgo: no ${noDevice}/dev/cvi-vi: the camera drivers are not loaded ` +
          '(S90hardware at boot) or this is no reCamera',
      );

      const noVenc = copyRoot(root, join(dir, `novenc-${target}`));
      unlinkSync(join(noVenc, LIB, 'libvenc.so'));
      expect(run(target, program, noVenc, ONE).out.trim()).toBe(
        `error SOURCE_UNAVAILABLE: sophgo: libvenc.so not found in ${noVenc}/mnt/system/usr/lib, ` +
          `${noVenc}/mnt/system/usr/lib/3rd, ${noVenc}/mnt/system/lib: not a reCamera, or its image lacks the camera libraries`,
      );

      const old = copyRoot(root, join(dir, `old-${target}`));
      buildLibrary(target, 'STANDIN_VENC', join(old, LIB, 'libvenc.so'), [
        '-DSTANDIN_NO_REQUEST_IDR',
      ]);
      expect(run(target, program, old, ONE).out.trim()).toMatch(
        /^error SOURCE_UNAVAILABLE: sophgo: CVI_VENC_RequestIDR not found in the libraries of .*: an SDK release we do not know; report it with `ls .*\/mnt\/system\/usr\/lib`$/,
      );

      const r = run(target, program, root, ONE, { LD_LIBRARY_PATH: '/usr/lib' });
      expect(r.out.trim()).toBe(
        `error SOURCE_UNAVAILABLE: sophgo: LD_LIBRARY_PATH lacks ${root}/mnt/system/usr/lib (libvenc loads libsys by name): ` +
          'start with LD_LIBRARY_PATH=/mnt/system/lib:/mnt/system/usr/lib:/mnt/system/usr/lib/3rd (deploy/recamera/S95cam-streamer does)',
      );
    });

    it('fails to load a library that needs one loaded after it, naming the order', () => {
      const misordered = copyRoot(root, join(dir, `order-${target}`));
      buildLibrary(target, 'STANDIN_VI', join(misordered, LIB, 'libvi.so'), [
        '-DSTANDIN_VI_NEEDS_VENC',
      ]);
      expect(run(target, program, misordered, ONE).out.trim()).toMatch(
        new RegExp(
          `^error SOURCE_UNAVAILABLE: sophgo: ${misordered}/mnt/system/usr/lib/libvi\\.so did not load \\(.*CVI_VENC_GetFd.*\\): ` +
            'a library it needs is missing or loads later \\(order: libatomic\\.so\\.1, libsys, libvi, libvpss, libvenc, ',
        ),
      );
    });
  },
);

describe('sophgo backend on glibc: who may use the camera', () => {
  let root: string;
  let program: string;
  beforeAll(() => {
    root = makeRoot('glibc', dir);
    program = buildSelftest('glibc', dir);
  }, 600_000);

  it('ends the stream with an error, and tears down, when a raw channel gives no picture for 5 s', () => {
    const r = run('glibc', program, root, ['640x360@30:1000:30', '64x48@15:rgbp'], {
      STANDIN_FAIL: 'CVI_VPSS_GetChnFrame',
    });
    expect(r.out.trim().split('\n').at(-1)).toBe(
      'error CAPTURE_FAILED: sophgo: VPSS channel 1 gave no picture for 5 s (CVI_VPSS_GetChnFrame: 0xc0008001)',
    );
    expect(r.leaks).toEqual([]);
  });

  it('needs root', () => {
    const r = run('glibc', program, root, ONE, {}, 40, [
      'setpriv',
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
    ]);
    expect(r.out.trim()).toBe(
      "error DEVICE_PERMISSION: sophgo: must run as root (the encoder's buffers are mapped through /dev/mem and the " +
        'ISP thread is real-time): sudo cam-streamer, or the init script',
    );
  });

  it.each([
    ['camera-streamer', "the seed's camera-streamer", '/etc/init.d/S95camera-streamer stop'],
    ['sscma-node', 'sscma-node', '/etc/init.d/S91sscma-node stop'],
  ])('names %s when it holds the camera, and how to stop it', async (name, who, stop) => {
    const holder = join(dir, name);
    copyFileSync('/bin/sleep', holder);
    const child = spawn(holder, ['30']);
    try {
      const r = run('glibc', program, root, ONE);
      expect(r.out.trim()).toBe(
        `error DEVICE_BUSY: sophgo: the camera is held by ${who} (pid ${child.pid}): stop it with ${stop}`,
      );
      expect(r.log).not.toMatch(/^\+/m);
    } finally {
      child.kill();
    }
  });
});
