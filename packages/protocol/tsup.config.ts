import { camPackage } from '../../tools/tsup.base';

export default camPackage();
