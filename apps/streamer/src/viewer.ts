// The viewer page served at `/`: the files @cam/player builds into dist/viewer, read once at
// start (a few hundred kB) so requests never touch the disk and no path can escape the folder.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';

export interface ViewerFile {
  type: string;
  body: Buffer;
}

export type Viewer =
  | { ok: true; dir: string; files: Map<string, ViewerFile> }
  | { ok: false; reason: string };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Where @cam/player keeps its built viewer. */
export function viewerDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@cam/player/package.json')), 'dist', 'viewer');
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

/** Reads every file of the viewer folder; `ok: false` with a one-line reason when it is missing. */
export function loadViewer(dir: string = viewerDir()): Viewer {
  let paths: string[];
  try {
    paths = walk(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      ok: false,
      reason: `viewer not built: ${dir} is unreadable (${code}); run pnpm build`,
    };
  }
  if (!paths.some((p) => p === join(dir, 'index.html'))) {
    return { ok: false, reason: `viewer not built: no index.html in ${dir}; run pnpm build` };
  }
  const files = new Map<string, ViewerFile>();
  for (const path of paths) {
    const url = `/${relative(dir, path).split(sep).join('/')}`;
    const type = CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
    files.set(url, { type, body: readFileSync(path) });
  }
  return { ok: true, dir, files };
}
