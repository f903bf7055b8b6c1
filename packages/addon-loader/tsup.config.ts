import { camPackage } from '../../tools/tsup.base';

// install.ts is the `cam-addon-install` bin; shims: import.meta.url in the CommonJS build too.
export default camPackage({ entry: ['src/index.ts', 'src/install.ts'], shims: true });
