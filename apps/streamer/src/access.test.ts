import { describe, expect, it } from 'vitest';
import { checkToken, decideUpgrade, tokenEquals } from './access';
import type { Request } from './server';

function request(url: string, headers: Record<string, string> = {}): Request {
  const parsed = new URL(url, 'http://device:8765');
  return {
    method: 'GET',
    path: parsed.pathname,
    query: parsed.searchParams,
    header: (name) => headers[name],
    address: '127.0.0.1',
  };
}

const TOKEN = 'correct-horse-battery';
const open = { token: null, allowOrigin: [], maxClients: 2 };
const guarded = { token: TOKEN, allowOrigin: ['http://192.168.42.1'], maxClients: 2 };

describe('tokenEquals', () => {
  it('is true only for the same string, whatever the lengths', () => {
    expect(tokenEquals(TOKEN, TOKEN)).toBe(true);
    expect(tokenEquals(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenEquals('', TOKEN)).toBe(false);
    expect(tokenEquals('correct-horse-batterY', TOKEN)).toBe(false);
  });
});

describe('checkToken', () => {
  it('accepts ?token=, a matching subprotocol (to echo) or a Bearer header', () => {
    expect(checkToken(request(`/?token=${TOKEN}`), TOKEN)).toEqual({ ok: true });
    expect(
      checkToken(request('/', { 'sec-websocket-protocol': `other, ${TOKEN}` }), TOKEN),
    ).toEqual({ ok: true, protocol: TOKEN });
    expect(checkToken(request('/', { authorization: `Bearer ${TOKEN}` }), TOKEN)).toEqual({
      ok: true,
    });
  });

  it('refuses a missing or wrong token', () => {
    expect(checkToken(request('/'), TOKEN).ok).toBe(false);
    expect(checkToken(request('/?token=nope'), TOKEN).ok).toBe(false);
    expect(checkToken(request('/', { 'sec-websocket-protocol': 'nope' }), TOKEN).ok).toBe(false);
    expect(checkToken(request('/', { authorization: 'Basic xyz' }), TOKEN).ok).toBe(false);
  });
});

describe('decideUpgrade', () => {
  it('lets anyone in without a token or Origin list, up to the cap', () => {
    expect(decideUpgrade(request('/'), open, 0)).toEqual({ accept: true });
    expect(decideUpgrade(request('/any/path', { origin: 'http://evil.example' }), open, 1)).toEqual(
      {
        accept: true,
      },
    );
    expect(decideUpgrade(request('/'), open, 2)).toEqual({
      accept: false,
      status: 503,
      reason: 'client limit of 2 reached',
    });
  });

  it('checks Origin (403), then token (401), then the cap (503)', () => {
    const ok = `/?token=${TOKEN}`;
    expect(decideUpgrade(request(ok, { origin: 'http://evil.example' }), guarded, 5)).toMatchObject(
      {
        status: 403,
        reason: 'origin http://evil.example is not allowed (--allow-origin)',
      },
    );
    expect(
      decideUpgrade(request('/', { origin: 'http://192.168.42.1' }), guarded, 5),
    ).toMatchObject({
      status: 401,
    });
    expect(decideUpgrade(request(ok, { origin: 'http://192.168.42.1' }), guarded, 5)).toMatchObject(
      {
        status: 503,
      },
    );
    expect(decideUpgrade(request(ok, { origin: 'http://192.168.42.1' }), guarded, 1)).toEqual({
      accept: true,
    });
  });

  it("always lets in the streamer's own viewer page, but not a page that rebinds its name", () => {
    const ok = `/?token=${TOKEN}`;
    const page = (origin: string, host: string) =>
      decideUpgrade(request(ok, { origin, host }), guarded, 0);
    expect(page('http://192.168.42.1:8765', '192.168.42.1:8765')).toEqual({ accept: true });
    expect(page('http://[::1]:8765', '[::1]:8765')).toEqual({ accept: true });
    expect(page('http://localhost:8765', 'localhost:8765')).toEqual({ accept: true });
    // The host name of an allow-listed origin (the Supervisor UI's), on the streamer's port.
    const named = { ...guarded, allowOrigin: ['http://recamera.local'] };
    expect(
      decideUpgrade(
        request(ok, { origin: 'http://recamera.local:8765', host: 'recamera.local:8765' }),
        named,
        0,
      ),
    ).toEqual({ accept: true });
    // DNS rebinding: evil.example resolves to the camera; Origin and Host both say evil.example.
    expect(page('http://evil.example:8765', 'evil.example:8765')).toMatchObject({ status: 403 });
    // Another port of the same address is another origin.
    expect(page('http://192.168.42.1:9000', '192.168.42.1:8765')).toMatchObject({ status: 403 });
    expect(page('not an origin', '192.168.42.1:8765')).toMatchObject({ status: 403 });
    expect(
      decideUpgrade(request(ok, { origin: 'http://192.168.42.1:8765' }), guarded, 0),
    ).toMatchObject({ status: 403 }); // no Host header
  });

  it('judges a client without Origin (not a browser) by its token alone', () => {
    expect(decideUpgrade(request(`/?token=${TOKEN}`), guarded, 0)).toEqual({ accept: true });
  });

  it('confirms the subprotocol that carried the token', () => {
    expect(
      decideUpgrade(
        request('/', { 'sec-websocket-protocol': TOKEN }),
        { ...guarded, allowOrigin: [] },
        0,
      ),
    ).toEqual({
      accept: true,
      protocol: TOKEN,
    });
  });
});
