#!/usr/bin/env node
// `cam-addon-install`: the install script of camstream's native packages (run by npm in the
// package's directory). Loads the addon the way the package will at run time (loadAddon); when
// nothing loads, builds it from the package's sources with node-gyp (npm puts its node-gyp on
// the PATH of install scripts) and exits with node-gyp's status; so does
// `npm rebuild --build-from-source`. node-gyp-build's own install step cannot be used: it guesses
// glibc on a musl board without /etc/alpine-release, fails to load the glibc prebuild and then
// compiles.
import { spawnSync } from 'node:child_process';
import { loadAddon } from './index';

const root = process.cwd();
// `npm install|rebuild --build-from-source` (npm sets this) always builds, as node-gyp-build did.
const fromSource = process.env.npm_config_build_from_source === 'true';
let problem = '--build-from-source';
if (!fromSource) {
  try {
    loadAddon(root);
    process.exit(0);
  } catch (error) {
    problem = (error as Error).message;
  }
}
console.error(`cam-addon-install: ${problem}; building from source with node-gyp`);
const build = spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
process.exit(build.status ?? 1);
