import { camPackage } from '../../tools/tsup.base';

export default [
  // `clean` is off in both builds (they run at once); the build script empties dist first.
  // The library: ESM + CJS + types. `shims` gives the CJS build an import.meta.url, which the
  // viewer lookup and the version read need.
  camPackage({ shims: true, clean: false }),
  // The bin: ESM only (the package is "type": "module"), with a shebang, no types.
  camPackage({
    entry: ['src/cli.ts'],
    format: ['esm'],
    dts: false,
    clean: false,
    banner: { js: '#!/usr/bin/env node' },
  }),
];
