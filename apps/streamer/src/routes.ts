// HTTP on the WebSocket port: `/` viewer (and its assets), `/healthz`, `/metrics`,
// `/api/stream`, `/api/channels`. With a token, /metrics and the /api routes want it too; the viewer page and
// /healthz carry no stream data and stay open.
import { checkToken } from './access';
import type { Reply, Request } from './server';
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
}

const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

function text(status: number, body: string): Reply {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...NO_STORE }, body };
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
      const body = req.path === '/api/stream' ? ctx.streamInfo() : ctx.channels(req);
      return {
        status: 200,
        headers: { 'content-type': 'application/json', ...NO_STORE },
        body: `${JSON.stringify(body)}\n`,
      };
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
