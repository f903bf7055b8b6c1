import { describe, expect, it } from 'vitest';
import { loadNative } from './native.js';

describe('loadNative', () => {
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
