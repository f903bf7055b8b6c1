// HTTP on the WebSocket port: `/` viewer (and its assets), `/healthz`, `/metrics`,
// `/api/stream`, `/api/channels`, `/api/access`. With a token, /metrics, /api/stream and
// /api/channels want it too; the viewer page, /healthz and /api/access carry no stream data and
// stay open.
import { checkToken } from './access';
import type { Reply, Request, UpgradeDecision } from './server';
import type { Viewer } from './viewer';

export interface RouteContext {
  viewer: Viewer;
  token: string | null;
  /** JSON body of /api/stream. */
  streamInfo(): object;
  /** JSON body of /api/channels (the seed v1.1 shape); the request gives the Host for URLs. */
  channels(req: Request): object;
  /** Prometheus text of /metrics. */
  metrics(): string;
  /** Null when healthy, else why not. */
  unhealthy(): string | null;
  /** What a WebSocket upgrade with this request's query and headers would be told. */
  access(req: Request): UpgradeDecision;
}

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function text(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE }, body };
}

/** JSON any origin may read (the data is no secret to a page that may ask for it). */
function publicJson(data: object): Reply {
  return {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'access-control-allow-origin': '*',
      ...NO_STORE,
    },
    body: `${JSON.stringify(data)}\n`,
  };
}

export function route(req: Request, ctx: RouteContext): Reply {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    const reply = text(405, 'only GET and HEAD\n');
    reply.headers.allow = 'GET, HEAD';
    return reply;
  }
  const reply = dispatch(req, ctx);
  return req.method === 'HEAD' ? { ...reply, body: '' } : reply;
}

function dispatch(req: Request, ctx: RouteContext): Reply {
  switch (req.path) {
    case '/healthz': {
      const why = ctx.unhealthy();
      return why === null ? text(200, 'ok\n') : text(503, `${why}\n`);
    }
    case '/api/access': {
      // A browser cannot read the HTTP status of a refused WebSocket upgrade (it only sees
      // close code 1006), so a player asks here why: the same decision, as data. Readable from
      // any origin: it tells a page no more than its own refused upgrade would.
      const decision = ctx.access(req);
      return publicJson(
        decision.accept
          ? { accept: true }
          : { accept: false, status: decision.status, reason: decision.reason },
      );
    }
    case '/metrics':
    case '/api/channels':
    case '/api/stream': {
      if (ctx.token !== null && !checkToken(req, ctx.token).ok) {
        return text(401, 'missing or wrong token\n');
      }
      if (req.path === '/metrics') {
        return {
          status: 200,
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', ...NO_STORE },
          body: ctx.metrics(),
        };
      }
      // Readable by a page of any origin that has the token: a player embedded in another app
      // needs the stream's fps.
      return publicJson(req.path === '/api/stream' ? ctx.streamInfo() : ctx.channels(req));
    }
  }
  if (!ctx.viewer.ok) return text(503, `${ctx.viewer.reason}\n`);
  const file = ctx.viewer.files.get(req.path === '/' ? '/index.html' : req.path);
  if (!file) return text(404, `no such page: ${req.path}\n`);
  return {
    status: 200,
    headers: {
      'content-type': file.type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    },
    body: file.body,
  };
}
