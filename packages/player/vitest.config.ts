import { camTests } from '../../tools/vitest.base';

// Two projects (the base config includes both folders; each excludes the other's): the unit
// tests in src/, and the browser tests in test/, which share one browser per engine and one
// stream source (test/global-setup.ts, started only when a browser test runs), so their files
// run one after another.
export default camTests({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', exclude: ['test/**'] } },
      {
        extends: true,
        test: {
          name: 'browser',
          exclude: ['src/**'],
          globalSetup: ['test/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 90_000,
        },
      },
    ],
  },
});
