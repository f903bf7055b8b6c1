import { camPackage } from '../../tools/tsup.base';

// shims: the addon loader needs import.meta.url in the CommonJS build too.
export default camPackage({ shims: true });
