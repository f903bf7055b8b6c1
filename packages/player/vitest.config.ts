import { camTests } from '../../tools/vitest.base';

// Browser tests share one browser per engine and one stream source, so files run one after another.
// A browser starts inside the first test that asks for it (Firefox takes ~10 s on a busy machine).
export default camTests({ test: { fileParallelism: false, testTimeout: 90_000 } });
