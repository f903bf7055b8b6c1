// `pnpm --filter @cam/player soak`: the long run, kept out of the default suite (tools/vitest.base
// would add the unit and browser tests to it, so this config stands alone).
import { defineConfig } from 'vitest/config';

const minutes = Number(process.env.CAM_SOAK_MINUTES ?? 10);

export default defineConfig({
  test: {
    include: ['soak/**/*.soak.ts'],
    globalSetup: ['test/global-setup.ts'], // the browsers and stream source of test/harness.ts
    testTimeout: (minutes + 2) * 60_000,
    hookTimeout: 60_000,
  },
});
