// The one tsup setup every package builds with: ESM + CJS + .d.ts for Node 20.
import { defineConfig, type Options } from 'tsup';

export function camPackage(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    ...overrides,
  });
}
