#!/usr/bin/env node
// `cam-addon-check`: the first half of the native packages' install script
//   "install": "cam-addon-check || node-gyp rebuild || node -e \"console.error('<what to install>')\""
// run by npm in the package's directory. Exits 0 when the package's addon loads the way it will
// at run time (loadAddon: a build/Release of this arch, else the prebuild of this libc), else 1
// with why on stderr, so the script builds from the tarball's sources; also 1 with
// `npm install|rebuild --build-from-source`. node-gyp-build's own check cannot be used: it guesses
// glibc on a musl board without /etc/alpine-release, fails to load the glibc prebuild and then
// compiles. In the workspace before the first build this bin does not exist yet and the script
// goes straight to node-gyp, as node-gyp-build did.
import { loadAddon } from './index';

if (process.env.npm_config_build_from_source === 'true') {
  console.error('cam-addon-check: --build-from-source: building with node-gyp');
  process.exit(1);
}
try {
  loadAddon(process.cwd());
} catch (error) {
  console.error(`cam-addon-check: ${(error as Error).message}; building with node-gyp`);
  process.exit(1);
}
