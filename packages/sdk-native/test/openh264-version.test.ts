// OpenH264 of a version whose structs the addon does not know (it knows its header's, 2.3, and
// 2.6's; 2.3's structs in 2.6's code once crashed the process with SIGSEGV): the `test` source
// must refuse it with one clear line, and never call into it.
// The library here is a TEST DOUBLE compiled by this test, not OpenH264: it exports OpenH264's
// entry points, reports version 2.5.0 (one this addon does not support), and aborts if the addon goes past the version check.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'cam-openh264-double-'));

beforeAll(() => {
  const source = join(dir, 'openh264-double.c');
  writeFileSync(
    source,
    `/* TEST DOUBLE of OpenH264 (not the real library): reports 2.5.0, aborts on any other use. */
     #include <stdlib.h>
     typedef struct { unsigned uMajor, uMinor, uRevision, uReserved; } OpenH264Version;
     OpenH264Version WelsGetCodecVersion(void) { OpenH264Version v = {2, 5, 0, 0}; return v; }
     void WelsGetCodecVersionEx(OpenH264Version *v) { *v = WelsGetCodecVersion(); }
     int WelsCreateSVCEncoder(void **encoder) { (void)encoder; abort(); }
     void WelsDestroySVCEncoder(void *encoder) { (void)encoder; abort(); }`,
  );
  // The soname the addon asks for first, in a folder LD_LIBRARY_PATH puts before the system's.
  execFileSync('cc', ['-shared', '-fPIC', source, '-o', join(dir, 'libopenh264.so.7')]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OpenH264 of another version', () => {
  it('is a one-line ENCODER_UNAVAILABLE naming the version found and the one needed', () => {
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const script = [
      `import { openCamera } from ${JSON.stringify(dist)};`,
      "const error = await openCamera({ source: 'test', width: 64, height: 48 }).catch((e) => e);",
      'console.log(JSON.stringify({ code: error.code, message: error.message }));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, LD_LIBRARY_PATH: dir },
    });
    expect(child.signal).toBeNull();
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const { code, message } = JSON.parse(child.stdout) as { code: string; message: string };
    expect(code).toBe('ENCODER_UNAVAILABLE');
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /OpenH264 2\.5\.0 found \(libopenh264\.so\.7\), but this addon supports 2\.3 and 2\.6 only \(their encoder structs differ\): install OpenH264 2\.3 \(Debian 12: libopenh264-7\) or 2\.6 \(Debian 13: libopenh264-8\), or build the addon from source/,
    );
  });
});
