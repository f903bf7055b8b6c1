// prepack/postpack of the native packages: the C/C++ sources live in the repo's native/, outside
// the package, so a tarball alone could not build from source. `copy DIR...` puts those
// native/DIRs into the package's ./native (binding.gyp prefers it when present); `clean` removes
// it again so the workspace build keeps using the repo's sources.
//   node ../../tools/pack-native.mjs copy shm include     (prepack, run in the package directory)
//   node ../../tools/pack-native.mjs clean                (postpack)
// The self-test programs and the fuzzer (native/shm/fuzz) are not part of the addon and stay out
// of the tarball.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

const [command, ...dirs] = process.argv.slice(2);
const repoNative = join(import.meta.dirname, '..', 'native');
const packageNative = join(process.cwd(), 'native');

if (command === 'clean') {
  rmSync(packageNative, { recursive: true, force: true });
} else if (command === 'copy' && dirs.length > 0) {
  rmSync(packageNative, { recursive: true, force: true });
  for (const dir of dirs) {
    const from = join(repoNative, dir);
    if (!existsSync(from)) {
      throw new Error(`pack-native: ${from} does not exist (package.json prepack names it)`);
    }
    cpSync(from, join(packageNative, dir), {
      recursive: true,
      filter: (src) => !basename(src).includes('selftest') && basename(src) !== 'fuzz',
    });
  }
} else {
  throw new Error('usage: node tools/pack-native.mjs copy DIR... | clean');
}
