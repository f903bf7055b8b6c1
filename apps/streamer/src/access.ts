// Who may connect: Origin allow-list (403), token (401), connection cap (503), in that order.
import { createHash, timingSafeEqual } from 'node:crypto';
import { offeredProtocols, type Request, type UpgradeDecision } from './server';

export interface AccessPolicy {
  token: string | null;
  allowOrigin: string[];
  maxClients: number;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time comparison; hashing first makes the time independent of the lengths too. */
export function tokenEquals(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The token a request carries, checked against the expected one: `?token=`, a WebSocket
 * subprotocol equal to it (browsers cannot set headers), or `Authorization: Bearer`.
 * Returns whether it matched and, for a subprotocol, which one to confirm.
 */
export function checkToken(req: Request, token: string): { ok: boolean; protocol?: string } {
  const query = req.query.get('token');
  if (query !== null && tokenEquals(query, token)) return { ok: true };
  for (const protocol of offeredProtocols(req.header('sec-websocket-protocol'))) {
    if (tokenEquals(protocol, token)) return { ok: true, protocol };
  }
  const bearer = /^Bearer (.+)$/i.exec(req.header('authorization') ?? '')?.[1];
  return { ok: bearer !== undefined && tokenEquals(bearer, token) };
}

/**
 * Whether `origin` is the streamer's own (its viewer page at `/`): the Origin's host:port is the
 * request's Host, and the host name is one a DNS-rebinding page cannot have: an IP address,
 * `localhost`, or the host name of an allow-listed origin (a page of another site that rebinds
 * its own name to the camera's address still sends that name, which is in no list).
 */
export function isOwnOrigin(origin: string, host: string | undefined, allowOrigin: string[]) {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (host === undefined || url.host !== host.toLowerCase()) return false;
  const name = url.hostname;
  const ipLiteral = /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.startsWith('[');
  return (
    ipLiteral ||
    name === 'localhost' ||
    allowOrigin.some((allowed) => {
      try {
        return new URL(allowed).hostname === name;
      } catch {
        return false;
      }
    })
  );
}

/** Decides a WebSocket upgrade (and answers `/api/access`, which asks the same question). */
export function decideUpgrade(
  req: Request,
  policy: AccessPolicy,
  clients: number,
): UpgradeDecision {
  const origin = req.header('origin');
  // Only browsers send Origin; a program without one is judged by the token alone. The
  // streamer's own viewer page is always allowed.
  if (
    origin !== undefined &&
    policy.allowOrigin.length > 0 &&
    !policy.allowOrigin.includes(origin) &&
    !isOwnOrigin(origin, req.header('host'), policy.allowOrigin)
  ) {
    return {
      accept: false,
      status: 403,
      reason: `origin ${origin} is not allowed (--allow-origin)`,
    };
  }
  let protocol: string | undefined;
  if (policy.token !== null) {
    const checked = checkToken(req, policy.token);
    if (!checked.ok) return { accept: false, status: 401, reason: 'missing or wrong token' };
    protocol = checked.protocol;
  }
  if (clients >= policy.maxClients) {
    return { accept: false, status: 503, reason: `client limit of ${policy.maxClients} reached` };
  }
  return protocol === undefined ? { accept: true } : { accept: true, protocol };
}
