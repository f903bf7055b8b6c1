import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadViewer, viewerDir } from './viewer';

describe('loadViewer', () => {
  it('finds the viewer @cam/player builds and reads it with content types', () => {
    const dir = viewerDir();
    expect(dir).toMatch(/packages\/player\/dist\/viewer$/);
    const viewer = loadViewer(dir);
    if (!viewer.ok) throw new Error(viewer.reason);
    expect(viewer.files.get('/index.html')?.type).toBe('text/html; charset=utf-8');
    expect([...viewer.files.values()].some((f) => f.type.startsWith('text/javascript'))).toBe(true);
  });

  it('maps nested files to URL paths and unknown extensions to octet-stream', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cam-viewer-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html>');
    writeFileSync(join(dir, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(dir, 'assets', 'blob.bin'), 'x');
    const viewer = loadViewer(dir);
    if (!viewer.ok) throw new Error(viewer.reason);
    expect([...viewer.files.keys()].sort()).toEqual([
      '/assets/app.css',
      '/assets/blob.bin',
      '/index.html',
    ]);
    expect(viewer.files.get('/assets/app.css')?.type).toBe('text/css; charset=utf-8');
    expect(viewer.files.get('/assets/blob.bin')?.type).toBe('application/octet-stream');
  });

  it('says in one line why there is no viewer', () => {
    const missing = join(tmpdir(), 'cam-no-such-viewer');
    expect(loadViewer(missing)).toEqual({
      ok: false,
      reason: `viewer not built: ${missing} is unreadable (ENOENT); run pnpm build`,
    });
    const empty = mkdtempSync(join(tmpdir(), 'cam-viewer-'));
    expect(loadViewer(empty)).toEqual({
      ok: false,
      reason: `viewer not built: no index.html in ${empty}; run pnpm build`,
    });
  });
});
