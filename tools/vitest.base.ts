// The one vitest setup every package tests with. The JSON report feeds tools/test-summary.mjs,
// which prints the repo-wide closing line.
import { defineConfig, mergeConfig, type ViteUserConfig } from 'vitest/config';

export function camTests(overrides: ViteUserConfig = {}) {
  return mergeConfig(
    defineConfig({
      test: {
        include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
        reporters: ['default', 'json'],
        outputFile: { json: 'test-results/vitest.json' },
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    }),
    overrides,
  );
}
