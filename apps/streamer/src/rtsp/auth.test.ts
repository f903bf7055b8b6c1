import { describe, expect, it } from 'vitest';
import { authorize, authParams, digestResponse, REALM, RtspAuth } from './auth';

const TOKEN = 'open-sesame-42';
const URI = 'rtsp://10.0.0.1:8554/ch0';

function answer(auth: RtspAuth, password: string, method = 'DESCRIBE', now = Date.now()): string {
  return authorize(auth.challenges(false, now), method, URI, 'anyone', password) as string;
}

describe('RtspAuth', () => {
  it('accepts Digest with any user name and the token as the password (RFC 2617, MD5)', () => {
    const auth = new RtspAuth(TOKEN, false);
    const header = answer(auth, TOKEN);
    expect(header).toMatch(
      /^Digest username="anyone", realm="camstream", nonce="[0-9a-f]+\.[0-9a-f]{32}", uri="rtsp:\/\/10\.0\.0\.1:8554\/ch0", response="[0-9a-f]{32}", algorithm=MD5$/,
    );
    expect(auth.check('DESCRIBE', header, null).result).toBe('ok');
    expect(auth.check('DESCRIBE', answer(auth, 'wrong-token'), null).result).toBe('wrong');
    // The response covers the method.
    expect(auth.check('SETUP', header, null).result).toBe('wrong');
    expect(auth.check('DESCRIBE', undefined, null).result).toBe('missing');
  });

  it('accepts SHA-256 and qop=auth answers (RFC 7616)', () => {
    const auth = new RtspAuth(TOKEN, false);
    const nonce = authParams((auth.challenges()[0] as string).slice(7)).get('nonce') as string;
    const response = digestResponse({
      algorithm: 'SHA-256',
      user: 'u',
      realm: REALM,
      password: TOKEN,
      method: 'PLAY',
      uri: URI,
      nonce,
      qop: 'auth',
      nc: '00000001',
      cnonce: 'abc',
    });
    const header = `Digest username="u", realm="${REALM}", nonce="${nonce}", uri="${URI}", response="${response}", algorithm=SHA-256, qop=auth, nc=00000001, cnonce="abc"`;
    expect(auth.check('PLAY', header, null).result).toBe('ok');
    expect(auth.check('PLAY', header.replace('qop=auth', 'qop=auth-int'), null).result).toBe(
      'wrong',
    );
  });

  it('refuses a forged nonce, and a stale one unless the connection proved it already', () => {
    const auth = new RtspAuth(TOKEN, false);
    const old = Date.now() - 3_600_000;
    const header = answer(auth, TOKEN, 'DESCRIBE', old);
    const { result } = auth.check('DESCRIBE', header, null);
    expect(result).toBe('stale');
    const nonce = authParams(header.slice(7)).get('nonce') as string;
    expect(auth.check('DESCRIBE', header, nonce).result).toBe('ok');
    expect(auth.challenges(true)[0]).toMatch(/, stale=true$/);
    const other = new RtspAuth(TOKEN, false);
    expect(other.check('DESCRIBE', answer(auth, TOKEN), null).result).toBe('wrong');
  });

  it('takes Basic only when allowed', () => {
    const basic = `Basic ${Buffer.from(`me:${TOKEN}`).toString('base64')}`;
    expect(new RtspAuth(TOKEN, false).check('DESCRIBE', basic, null).result).toBe('wrong');
    expect(new RtspAuth(TOKEN, true).check('DESCRIBE', basic, null).result).toBe('ok');
    expect(
      new RtspAuth(TOKEN, true).check(
        'DESCRIBE',
        `Basic ${Buffer.from('me:nope').toString('base64')}`,
        null,
      ).result,
    ).toBe('wrong');
    expect(new RtspAuth(TOKEN, true).challenges()).toEqual([
      expect.stringMatching(/^Digest /),
      'Basic realm="camstream"',
    ]);
    expect(new RtspAuth(TOKEN, false).check('DESCRIBE', 'Bearer x', null).result).toBe('wrong');
  });
});

describe('authorize (the push client)', () => {
  it('answers Basic when only Basic is offered, and nothing it cannot', () => {
    expect(authorize(['Basic realm="x"'], 'ANNOUNCE', URI, 'a', 'b')).toBe(
      `Basic ${Buffer.from('a:b').toString('base64')}`,
    );
    expect(
      authorize(['Digest realm="x", nonce="n", algorithm=SHA-512-256'], 'ANNOUNCE', URI, 'a', 'b'),
    ).toBeNull();
  });
});
