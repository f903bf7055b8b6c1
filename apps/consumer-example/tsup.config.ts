import { camPackage } from '../../tools/tsup.base';

export default camPackage({ entry: ['src/index.ts', 'src/cli.ts'] });
