// RTSP authentication with the streamer's token (contract 5): HTTP Digest (RFC 2617, and the
// SHA-256 algorithm of RFC 7616 when a client answers with it) with any user name and the
// token as the password; Basic only when --rtsp-basic-auth allows it (it sends the token in
// the clear). Nonces are stateless: an expiry time and its HMAC under a per-process key.
// The client side (a challenge → an Authorization value) serves the push client.
import { createHash, createHmac, randomBytes, randomUUID } from 'node:crypto';
import { tokenEquals } from '../access';

export const REALM = 'camstream';
/** A nonce is good this long for new requests; a connection keeps using the one it proved. */
const NONCE_TTL_MS = 10 * 60 * 1000;

export type AuthResult = 'ok' | 'missing' | 'wrong' | 'stale';

/** key=value and key="quoted value" pairs of a Digest header (bounded by the header limit). */
export function authParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const m of text.matchAll(/([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g)) {
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] as string);
    params.set((m[1] as string).toLowerCase(), value);
  }
  return params;
}

function hash(algorithm: string, text: string): string {
  return createHash(algorithm === 'SHA-256' ? 'sha256' : 'md5')
    .update(text)
    .digest('hex');
}

/** The Digest `response` (RFC 2617 §3.2.2.1, RFC 7616 §3.4.1); without qop the RFC 2069 form. */
export function digestResponse(p: {
  algorithm: string;
  user: string;
  realm: string;
  password: string;
  method: string;
  uri: string;
  nonce: string;
  qop?: string;
  nc?: string;
  cnonce?: string;
}): string {
  const ha1 = hash(p.algorithm, `${p.user}:${p.realm}:${p.password}`);
  const ha2 = hash(p.algorithm, `${p.method}:${p.uri}`);
  return p.qop
    ? hash(p.algorithm, `${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:${p.qop}:${ha2}`)
    : hash(p.algorithm, `${ha1}:${p.nonce}:${ha2}`);
}

export class RtspAuth {
  private readonly key = randomBytes(32);

  constructor(
    private readonly token: string,
    private readonly allowBasic: boolean,
  ) {}

  /** WWW-Authenticate values of a 401: Digest (MD5, understood by every client), then Basic. */
  challenges(stale = false, now = Date.now()): string[] {
    const digest = `Digest realm="${REALM}", nonce="${this.nonce(now)}", algorithm=MD5${stale ? ', stale=true' : ''}`;
    return this.allowBasic ? [digest, `Basic realm="${REALM}"`] : [digest];
  }

  /**
   * Checks an Authorization header. `proven` is the nonce this connection already authenticated
   * with: it stays good past its expiry, so a long session's keep-alives never turn stale.
   */
  check(
    method: string,
    header: string | undefined,
    proven: string | null,
    now = Date.now(),
  ): { result: AuthResult; nonce?: string } {
    if (header === undefined) return { result: 'missing' };
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const rest = space < 0 ? '' : header.slice(space + 1).trim();
    if (scheme === 'basic') {
      if (!this.allowBasic) return { result: 'wrong' };
      const decoded = Buffer.from(rest, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return {
        result: colon >= 0 && tokenEquals(decoded.slice(colon + 1), this.token) ? 'ok' : 'wrong',
      };
    }
    if (scheme !== 'digest') return { result: 'wrong' };
    const p = authParams(rest);
    const nonce = p.get('nonce');
    const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const response = p.get('response');
    const qop = p.get('qop');
    if (
      nonce === undefined ||
      response === undefined ||
      p.get('realm') !== REALM ||
      (algorithm !== 'MD5' && algorithm !== 'SHA-256') ||
      (qop !== undefined && (qop !== 'auth' || !p.has('nc') || !p.has('cnonce')))
    ) {
      return { result: 'wrong' };
    }
    const freshness = this.nonceState(nonce, now);
    if (freshness === 'forged') return { result: 'wrong' };
    const expected = digestResponse({
      algorithm,
      user: p.get('username') ?? '',
      realm: REALM,
      password: this.token,
      method,
      uri: p.get('uri') ?? '',
      nonce,
      ...(qop === undefined ? {} : { qop, nc: p.get('nc'), cnonce: p.get('cnonce') }),
    });
    if (!tokenEquals(response.toLowerCase(), expected)) return { result: 'wrong' };
    if (freshness === 'expired' && nonce !== proven) return { result: 'stale' };
    return { result: 'ok', nonce };
  }

  private nonce(now: number): string {
    const expires = (now + NONCE_TTL_MS).toString(16);
    return `${expires}.${this.mac(expires)}`;
  }

  private nonceState(nonce: string, now: number): 'fresh' | 'expired' | 'forged' {
    const match = /^([0-9a-f]{1,13})\.([0-9a-f]{32})$/.exec(nonce);
    if (!match || !tokenEquals(match[2] as string, this.mac(match[1] as string))) return 'forged';
    return Number.parseInt(match[1] as string, 16) >= now ? 'fresh' : 'expired';
  }

  private mac(text: string): string {
    return createHmac('sha256', this.key).update(text).digest('hex').slice(0, 32);
  }
}

/**
 * The Authorization value answering a server's challenges (the push client's side): Digest when
 * offered (MD5 or SHA-256, qop=auth when asked), else Basic; null when none is usable.
 */
export function authorize(
  challenges: string[],
  method: string,
  uri: string,
  user: string,
  password: string,
): string | null {
  const digest = challenges.find((c) => /^digest\s/i.test(c));
  if (digest) {
    const p = authParams(digest.replace(/^digest\s+/i, ''));
    const algorithm = (p.get('algorithm') ?? 'MD5').toUpperCase();
    const realm = p.get('realm') ?? '';
    const nonce = p.get('nonce') ?? '';
    if (algorithm === 'MD5' || algorithm === 'SHA-256') {
      const qop = (p.get('qop') ?? '')
        .split(',')
        .map((q) => q.trim())
        .includes('auth')
        ? 'auth'
        : undefined;
      const cnonce = randomUUID().replaceAll('-', '');
      const nc = '00000001';
      const response = digestResponse({
        algorithm,
        user,
        realm,
        password,
        method,
        uri,
        nonce,
        ...(qop ? { qop, nc, cnonce } : {}),
      });
      const fields = [
        `username="${user}"`,
        `realm="${realm}"`,
        `nonce="${nonce}"`,
        `uri="${uri}"`,
        `response="${response}"`,
        `algorithm=${algorithm}`,
        ...(qop ? [`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`] : []),
        ...(p.has('opaque') ? [`opaque="${p.get('opaque')}"`] : []),
      ];
      return `Digest ${fields.join(', ')}`;
    }
  }
  if (challenges.some((c) => /^basic(\s|$)/i.test(c))) {
    return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  return null;
}
