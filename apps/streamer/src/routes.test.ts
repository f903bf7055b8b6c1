import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RouteContext, route } from './routes';
import type { Request } from './server';
import { loadViewer } from './viewer';

const dir = mkdtempSync(join(tmpdir(), 'cam-routes-'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>viewer</title>');
writeFileSync(join(dir, 'viewer.js'), 'console.log(1)');

function request(url: string, method = 'GET', headers: Record<string, string> = {}): Request {
  const parsed = new URL(url, 'http://device:8765');
  return {
    method,
    path: parsed.pathname,
    query: parsed.searchParams,
    header: (n) => headers[n],
    address: '::1',
  };
}

function context(overrides: Partial<RouteContext> = {}): RouteContext {
  return {
    viewer: loadViewer(dir),
    token: null,
    streamInfo: () => ({ fps: 30 }),
    channels: (req) => ({ channels: [], host: req.header('host') ?? null }),
    metrics: () => 'cam_clients 0\n',
    unhealthy: () => null,
    access: () => ({ accept: true }),
    ...overrides,
  };
}

describe('route', () => {
  it('serves the viewer at / and its files with their content types', () => {
    const index = route(request('/'), context());
    expect(index).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
    });
    expect(String(index.body)).toContain('<title>viewer</title>');
    expect(route(request('/viewer.js'), context()).headers['content-type']).toBe(
      'text/javascript; charset=utf-8',
    );
    expect(route(request('/nope.js'), context()).status).toBe(404);
    expect(route(request('/../package.json'), context()).status).toBe(404);
  });

  it('tells a page at /api/access what its WebSocket upgrade would be told, from any origin', () => {
    const ok = route(request('/api/access'), context());
    expect(ok.headers['access-control-allow-origin']).toBe('*');
    expect(JSON.parse(String(ok.body))).toEqual({ accept: true });
    const refused = route(
      request('/api/access?token=x', 'GET', { origin: 'http://elsewhere' }),
      context({
        access: (req) => ({
          accept: false,
          status: 403,
          reason: `origin ${req.header('origin')} is not allowed`,
        }),
      }),
    );
    expect(refused.status).toBe(200);
    expect(JSON.parse(String(refused.body))).toEqual({
      accept: false,
      status: 403,
      reason: 'origin http://elsewhere is not allowed',
    });
  });

  it('answers 503 with the reason when the viewer is not built', () => {
    const reply = route(
      request('/'),
      context({ viewer: { ok: false, reason: 'viewer not built: x' } }),
    );
    expect(reply).toMatchObject({ status: 503, body: 'viewer not built: x\n' });
  });

  it('serves /healthz, /metrics and /api/stream', () => {
    expect(route(request('/healthz'), context())).toMatchObject({ status: 200, body: 'ok\n' });
    expect(route(request('/healthz'), context({ unhealthy: () => 'no frame' }))).toMatchObject({
      status: 503,
      body: 'no frame\n',
    });
    expect(route(request('/metrics'), context())).toMatchObject({
      status: 200,
      headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: 'cam_clients 0\n',
    });
    expect(route(request('/api/stream'), context())).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"fps":30}\n',
    });
    expect(route(request('/api/channels', 'GET', { host: 'cam:8765' }), context())).toMatchObject({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: '{"channels":[],"host":"cam:8765"}\n',
    });
  });

  it('wants the token for /metrics and /api/stream, not for the page or /healthz', () => {
    const ctx = context({ token: 'sesame-sesame' });
    expect(route(request('/api/stream'), ctx).status).toBe(401);
    expect(route(request('/metrics?token=wrong'), ctx).status).toBe(401);
    expect(route(request('/api/stream?token=sesame-sesame'), ctx).status).toBe(200);
    expect(route(request('/api/channels'), ctx).status).toBe(401);
    expect(route(request('/api/channels?token=sesame-sesame'), ctx).status).toBe(200);
    expect(
      route(request('/metrics', 'GET', { authorization: 'Bearer sesame-sesame' }), ctx).status,
    ).toBe(200);
    expect(route(request('/'), ctx).status).toBe(200);
    expect(route(request('/healthz'), ctx).status).toBe(200);
  });

  it('answers HEAD without a body and other methods with 405', () => {
    expect(route(request('/healthz', 'HEAD'), context())).toMatchObject({ status: 200, body: '' });
    expect(route(request('/', 'POST'), context())).toMatchObject({
      status: 405,
      headers: { allow: 'GET, HEAD' },
    });
  });
});
