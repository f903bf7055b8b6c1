import { camPackage } from '../../tools/tsup.base';

// shims: the addon loader finds the package root from import.meta.url in the CJS build too.
export default camPackage({ shims: true });
