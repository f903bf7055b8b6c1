import { camTests } from '../../tools/vitest.base';

// Browser tests share one Chromium and one stream source, so files run one after another.
export default camTests({ test: { fileParallelism: false } });
