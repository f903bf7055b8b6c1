import { camPackage } from '../../tools/tsup.base';

// Neutral, not node: @cam/player bundles this package into the browser viewer.
export default camPackage({ platform: 'neutral' });
