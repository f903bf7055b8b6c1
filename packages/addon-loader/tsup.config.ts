import { camPackage } from '../../tools/tsup.base';

// check.ts is the `cam-addon-check` bin; shims: import.meta.url in the CommonJS build too.
export default camPackage({ entry: ['src/index.ts', 'src/check.ts'], shims: true });
