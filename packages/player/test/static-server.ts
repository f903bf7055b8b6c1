// A page of another origin than the streamer's: a static server on 127.0.0.1 (a free port) that
// serves the player's ESM build the way an app embeds it (an import map finds @cam/protocol),
// and pages the tests write.

import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

function esmBuildOf(name: string): string {
  const manifest = require.resolve(`${name}/package.json`);
  return join(dirname(manifest), (require(manifest) as { module: string }).module);
}

const SCRIPTS: Record<string, string> = {
  '/embed/player.js': fileURLToPath(new URL('../dist/index.js', import.meta.url)),
  '/embed/protocol.js': esmBuildOf('@cam/protocol'),
  '/embed/jmuxer.min.js': require.resolve('jmuxer/dist/jmuxer.min.js'),
};

export interface StaticServer {
  /** http://127.0.0.1:PORT */
  origin: string;
  /** Serves `body` (inside a page that can `import '/embed/player.js'`) at `path`. */
  page(path: string, body: string): string;
  close(): Promise<void>;
}

export async function startStaticServer(): Promise<StaticServer> {
  const pages = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const script = SCRIPTS[path];
    const page = pages.get(path);
    if (script) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(readFileSync(script));
    } else if (page !== undefined) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    page(path, body) {
      pages.set(
        path,
        `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">` +
          `<script type="importmap">{ "imports": { "@cam/protocol": "/embed/protocol.js" } }</script>${body}`,
      );
      return `${origin}${path}`;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // a browser still open keeps idle keep-alive connections
      }),
  };
}
