// bench/ is no workspace package: it loads the workspace's built packages by path (the root
// `pnpm bench` builds them first) and third-party modules from the package that depends on them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);

/** Imports a workspace package's ESM build, e.g. workspace('apps/streamer'). */
export function workspace(dir) {
  return import(new URL(`${dir}/dist/index.js`, root).href);
}

/** Imports a dependency of a workspace package, e.g. dependencyOf('apps/streamer', 'ws'). */
export function dependencyOf(dir, name) {
  const require = createRequire(new URL(`${dir}/package.json`, root));
  return import(pathToFileURL(require.resolve(name)).href);
}

/** Resolves a file of a dependency of a workspace package to an absolute path. */
export function resolveIn(dir, specifier) {
  return createRequire(new URL(`${dir}/package.json`, root)).resolve(specifier);
}

/**
 * The Node flags `cam-streamer` runs with: NODE_FLAGS of apps/streamer/bin/cam-streamer, so the
 * streamer is measured as shipped (the bench runs it in its own process, not through the bin).
 */
export function streamerNodeFlags() {
  const bin = readFileSync(new URL('apps/streamer/bin/cam-streamer', root), 'utf8');
  const line = /^NODE_FLAGS='([^']*)'$/m.exec(bin);
  if (!line) throw new Error("apps/streamer/bin/cam-streamer: no NODE_FLAGS='...' line");
  return line[1].split(' ').filter((f) => f !== '');
}
