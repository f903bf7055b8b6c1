import { resolve } from 'node:path';
import type { Options } from 'tsup';
import { camPackage } from '../../tools/tsup.base';

// jmuxer 2.1 is bundled from its ES source: its published UMD file sits in a `"type": "module"`
// package, so bundlers see an ES module without exports. Its `stream` import serves the
// Node-only createStream(), which a page never calls, so it gets an empty module.
const bundleJmuxer: Partial<Options> = {
  platform: 'browser',
  target: 'es2022',
  esbuildOptions(options) {
    options.alias = { stream: resolve('src/no-node-stream.ts') };
  },
};

export default [
  // The embeddable module: ESM for bundlers, plus CJS and .d.ts; @cam/protocol stays external.
  // `clean` spares dist/viewer, which the second build writes at the same time.
  camPackage({ ...bundleJmuxer, noExternal: ['jmuxer'], clean: ['!viewer/**'] }),
  // The viewer page the streamer serves at `/`: one self-contained script.
  camPackage({
    ...bundleJmuxer,
    entry: { viewer: 'src/viewer/main.ts' },
    outDir: 'dist/viewer',
    format: ['iife'],
    outExtension: () => ({ js: '.js' }),
    dts: false,
    minify: true,
    sourcemap: false,
    noExternal: [/.*/],
    publicDir: 'src/viewer/public',
  }),
];
