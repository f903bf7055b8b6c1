import { describe, expect, it } from 'vitest';
import { uwsUnavailable } from './choose-server';

describe('uwsUnavailable', () => {
  it('names the opt-in install when uws-pack is not installed', async () => {
    const err = await import('uws-pack-that-is-not-installed' as string).catch((e: unknown) => e);
    expect(uwsUnavailable(err)).toMatch(
      /uws-pack is not installed .*npm install uws-pack@20\.0\.8/,
    );
  });

  it('gives the first line of any other load error', () => {
    const err = new Error('This version of uWS.js supports only Node.js 18-22\n\nmore detail');
    expect(uwsUnavailable(err)).toBe(
      'uWebSockets.js cannot load here: This version of uWS.js supports only Node.js 18-22',
    );
  });
});
